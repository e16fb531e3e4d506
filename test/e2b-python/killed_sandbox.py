"""A killed sandbox, as the sync client sees it: get_info raises the SDK's not-found error
and a second kill answers False. One JSON line out."""
import json

from e2b import NotFoundException, Sandbox

sandbox = Sandbox.create(timeout=120)
seen = {"killed": sandbox.kill()}
try:
    Sandbox.get_info(sandbox.sandbox_id)
    seen["error"] = None
except NotFoundException:
    # The class the SDK documents catching; the concrete one may be a subclass of it.
    seen["error"] = "NotFoundException"
seen["kill_again"] = Sandbox.kill(sandbox.sandbox_id)
print(json.dumps(seen))
