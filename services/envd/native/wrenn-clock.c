/*
 * wrenn-clock: the guest-kernel calls envd makes after every restore, without
 * a process spawn per request: it sets the wall clock, and it credits the
 * host's entropy to the kernel's pool and reseeds the kernel's generator
 * (Node can neither clock_settime nor ioctl).
 *
 *   wrenn-clock
 *
 * envd starts it once, at boot, before the template snapshot is taken, so
 * every sandbox restored from that snapshot already has it running. Spawning
 * `date -s` after a restore cost 150-500 ms under TCG emulation, on the path
 * of every sandbox create and resume; a write to this helper's stdin costs a
 * pipe round trip.
 *
 * Protocol, one request per line on stdin, one answer per request on stdout:
 *   "<unix seconds> <nanoseconds>\n"  set CLOCK_REALTIME
 *       -> "0\n", else "<errno>\n"
 *   "seed <hex bytes>\n"              1 to 512 bytes of host randomness
 *       -> "0 reseeded\n"  credited (RNDADDENTROPY) and the CRNG reseeded now
 *                          (RNDRESEEDCRNG)
 *       -> "0 credited\n"  credited; the kernel refused the forced reseed
 *       -> "0 mixed\n"     the ioctls were refused (no CAP_SYS_ADMIN): written
 *                          to /dev/urandom, mixed into the pool without credit
 *       -> "<errno>\n"     nothing worked
 * A malformed line answers EINVAL. EOF on stdin ends the helper.
 *
 * Why: every clone of one snapshot starts with the same kernel CRNG state;
 * without a reseed they would draw the same "random" numbers until the
 * kernel's next scheduled reseed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

#define MAX_SEED_BYTES 512

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Answers one "seed" line; `hex` is what follows "seed ". */
static void seed(const char *hex) {
  struct {
    int entropy_count;
    int buf_size;
    unsigned char buf[MAX_SEED_BYTES];
  } info;
  size_t n = 0;
  while (hex[0] != '\n' && hex[0] != '\0') {
    int hi = hex_value(hex[0]);
    int lo = hi < 0 ? -1 : hex_value(hex[1]);
    if (lo < 0 || n == MAX_SEED_BYTES) {
      printf("%d\n", EINVAL);
      return;
    }
    info.buf[n++] = (unsigned char)(hi << 4 | lo);
    hex += 2;
  }
  if (n == 0) {
    printf("%d\n", EINVAL);
    return;
  }
  info.entropy_count = (int)(n * 8);
  info.buf_size = (int)n;
  int fd = open("/dev/random", O_WRONLY | O_CLOEXEC);
  if (fd >= 0 && ioctl(fd, RNDADDENTROPY, &info) == 0) {
    int reseeded = ioctl(fd, RNDRESEEDCRNG) == 0;
    close(fd);
    printf("0 %s\n", reseeded ? "reseeded" : "credited");
  } else {
    if (fd >= 0) close(fd);
    fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
    ssize_t written = fd >= 0 ? write(fd, info.buf, n) : -1;
    int err = errno;
    if (fd >= 0) close(fd);
    if (written == (ssize_t)n) printf("0 mixed\n");
    else printf("%d\n", written < 0 ? err : EIO);
  }
  /* The seed must not linger in this process's memory (or in a later snapshot). */
  explicit_bzero(&info, sizeof info);
}

int main(void) {
  /* "seed " + 2 hex digits per byte + newline + NUL. */
  static char line[5 + 2 * MAX_SEED_BYTES + 2];
  setvbuf(stdout, NULL, _IONBF, 0);
  while (fgets(line, sizeof line, stdin) != NULL) {
    /* A line longer than the buffer is garbage: skip the rest of it. */
    if (strchr(line, '\n') == NULL && !feof(stdin)) {
      int c;
      while ((c = getchar()) != '\n' && c != EOF) {}
      printf("%d\n", EINVAL);
      continue;
    }
    if (strncmp(line, "seed ", 5) == 0) seed(line + 5);
    else printf("%d\n", set_clock(line));
    explicit_bzero(line, sizeof line);
  }
  return 0;
}
