"""Schemathesis extensions for Wrenn's HTTP gateway (loaded through SCHEMATHESIS_HOOKS).

- Request bodies of client streams are NDJSON: the generated value is sent as one line.
- Server streams are NDJSON and some never end (watches, attached processes): read at
  most a few lines or a short time, then close the connection, which cancels the call
  in the gateway, as a client that leaves would.
- NDJSON responses are checked line by line for JSON; the first line is validated
  against the documented schema.
- The run authenticates with an API key of its own (the config sends it); its stateful
  phase finds that key's id through ListApiKeys and would revoke it, leaving every later
  request a 401: a revoke of that one id (WRENN_FUZZ_KEY_ID) is aimed at an unknown id instead.
- Hypothesis describes filter lambdas by parsing their source with `ast.parse`,
  which CPython 3.11 cannot do from two threads at once ("AST constructor
  recursion depth mismatch", a SystemError that ends a worker): with two
  workers those descriptions are taken one at a time, and a description that still hits
  the bug (it also strikes one thread deep in a recursive build) reads "<unknown>".
"""

import json
import os
import threading

import schemathesis
from hypothesis.internal import lambda_sources
from schemathesis.transport import requests as st_requests

NDJSON = "application/x-ndjson"
MAX_LINES = 8
MAX_SECONDS = 1.5


OWN_KEY_ID = os.environ.get("WRENN_FUZZ_KEY_ID", "")


@schemathesis.hook
def before_call(_ctx, case, **_kwargs):
    if OWN_KEY_ID and case.method.upper() == "DELETE" and (case.path_parameters or {}).get("key_id") == OWN_KEY_ID:
        case.path_parameters["key_id"] = "key-" + "0" * 32


def _is_ndjson(content_type):
    return (content_type or "").split(";")[0].strip().lower() == NDJSON


@schemathesis.serializer(NDJSON)
def ndjson_body(_ctx, value):
    # ensure_ascii keeps lone surrogates as \\uXXXX escapes (valid JSON text, refused by the server).
    return (json.dumps(value) + "\n").encode("ascii")


@schemathesis.deserializer(NDJSON)
def ndjson_response(_ctx, response):
    lines = [line for line in response.content.decode("utf-8").split("\n") if line.strip()]
    parsed = [json.loads(line) for line in lines]  # a malformed line is a failure
    if not parsed:
        raise NotImplementedError("empty stream: nothing to validate")
    return parsed[0]


def _bounded_request(session, data, max_stream_events):
    response = session.request(**{**data, "stream": True})
    if not _is_ndjson(response.headers.get("Content-Type")):
        response.content  # noqa: B018 - read the whole (finite) body, as Schemathesis does
        return response
    content = bytearray()
    # A silent stream blocks in read: a timer closes it, which ends the read with an error.
    timer = threading.Timer(MAX_SECONDS, response.close)
    timer.start()
    try:
        for chunk in st_requests._iter_event_stream(response):
            content.extend(chunk)
            if content.count(b"\n") >= MAX_LINES:
                break
    except Exception:  # noqa: BLE001 - closed under our feet or timed out: the stream was cut short
        pass
    finally:
        timer.cancel()
        response.close()
    # Keep complete lines only: a cut stream ends where its last whole line ended.
    end = content.rfind(b"\n") + 1
    response._content = bytes(content[:end])
    response._content_consumed = True
    return response


st_requests._request = _bounded_request


_describe_lock = threading.RLock()
_original_lambda_description = lambda_sources.lambda_description


def _locked_lambda_description(f):
    with _describe_lock:
        try:
            return _original_lambda_description(f)
        except SystemError:
            # The same CPython 3.11 bug also strikes one thread when ast.parse runs deep in a
            # recursive strategy build; a description is only ever shown in a repr.
            return "lambda: <unknown>"


lambda_sources.lambda_description = _locked_lambda_description
