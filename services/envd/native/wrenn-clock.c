/*
 * wrenn-clock: sets the guest's wall clock for envd without a process spawn
 * per request.
 *
 *   wrenn-clock
 *
 * envd starts it once, at boot, before the template snapshot is taken, so
 * every sandbox restored from that snapshot already has it running. Spawning
 * `date -s` after a restore cost 150-500 ms under TCG emulation, on the path
 * of every sandbox create and resume; a write to this helper's stdin costs a
 * pipe round trip.
 *
 * Protocol, one request per line on stdin:
 *   "<unix seconds> <nanoseconds>\n"
 * and one answer per request on stdout:
 *   "0\n" when CLOCK_REALTIME was set, else "<errno>\n".
 * A malformed line answers EINVAL. EOF on stdin ends the helper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int set_clock(const char *line) {
  char *end;
  errno = 0;
  long long seconds = strtoll(line, &end, 10);
  if (errno != 0 || end == line || *end != ' ') return EINVAL;
  const char *nsec_text = end + 1;
  long nanoseconds = strtol(nsec_text, &end, 10);
  if (errno != 0 || end == nsec_text || (*end != '\n' && *end != '\0')) return EINVAL;
  if (seconds <= 0 || nanoseconds < 0 || nanoseconds >= 1000000000L) return EINVAL;
  struct timespec ts = { .tv_sec = (time_t)seconds, .tv_nsec = nanoseconds };
  return clock_settime(CLOCK_REALTIME, &ts) == 0 ? 0 : errno;
}

int main(void) {
  char line[128];
  setvbuf(stdout, NULL, _IONBF, 0);
  while (fgets(line, sizeof line, stdin) != NULL) {
    /* A line longer than the buffer is garbage: skip the rest of it. */
    if (strchr(line, '\n') == NULL && !feof(stdin)) {
      int c;
      while ((c = getchar()) != '\n' && c != EOF) {}
      printf("%d\n", EINVAL);
      continue;
    }
    printf("%d\n", set_clock(line));
  }
  return 0;
}
