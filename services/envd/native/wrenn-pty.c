/*
 * wrenn-pty: runs one command in a new pseudo-terminal for envd.
 *
 *   wrenn-pty ROWS COLS FILE [ARGV0 ARGS...]
 *
 * envd spawns this helper with four pipes/sockets:
 *   fd 0  bytes to type into the terminal (EOF sends ^D once)
 *   fd 1  everything the terminal prints
 *   fd 2  the helper's own diagnostics
 *   fd 3  control socket: the helper writes the child's pid (uint32 LE) once;
 *         envd writes resize requests (uint16 rows, uint16 cols, LE)
 *
 * Back-pressure: while output is waiting to be written to fd 1 the master is
 * not read, so a slow reader of fd 1 blocks the program on its terminal
 * instead of losing bytes. Input and resizes are still served meanwhile.
 *
 * When the child has exited, remaining output is drained (until the terminal
 * hangs up, or 200 ms without output when a background job keeps it open),
 * then the helper exits with the child's status: the same exit code, or the
 * same signal raised on itself.
 *
 * A C helper instead of a Node addon: envd ships as a single esbuild bundle
 * run by plain `node`; a static binary has no ABI tie to the Node version.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536

static int sigpipe_fds[2];
static pid_t child = -1;

static void on_signal(int sig) {
  int saved = errno;
  unsigned char s = (unsigned char)sig;
  if (write(sigpipe_fds[1], &s, 1) < 0) { /* pipe full: a wakeup is already pending */ }
  errno = saved;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all_blocking(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pf = {fd, POLLOUT, 0};
        poll(&pf, 1, -1);
        continue;
      }
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: wrenn-pty ROWS COLS FILE ARGV0 [ARGS...]\n");
    return 2;
  }
  struct winsize ws = {0};
  ws.ws_row = (unsigned short)atoi(argv[1]);
  ws.ws_col = (unsigned short)atoi(argv[2]);
  const char *file = argv[3];

  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
    perror("wrenn-pty: posix_openpt");
    return 126;
  }
  char *slave_name = ptsname(master);
  int slave = slave_name ? open(slave_name, O_RDWR | O_NOCTTY) : -1;
  if (slave < 0) {
    perror("wrenn-pty: open slave");
    return 126;
  }
  ioctl(master, TIOCSWINSZ, &ws);

  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) return 126;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  int forwarded[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  child = fork();
  if (child < 0) {
    perror("wrenn-pty: fork");
    return 126;
  }
  if (child == 0) {
    setsid();
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    if (slave > 2) close(slave);
    close(3);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(file, argv + 4);
    fprintf(stderr, "wrenn-pty: cannot execute %s: %s\r\n", file, strerror(errno));
    _exit(127);
  }
  close(slave);

  uint32_t pid_le = (uint32_t)child; /* envd runs on little-endian hosts only (x86-64, arm64) */
  write_all_blocking(3, (const char *)&pid_le, 4);

  set_nonblock(master);
  set_nonblock(0);
  set_nonblock(1);
  set_nonblock(3);

  static char out[BUF], in[BUF];
  size_t out_len = 0, out_off = 0, in_len = 0, in_off = 0;
  unsigned char ctl[4];
  size_t ctl_len = 0;
  int stdin_open = 1, ctl_open = 1, send_eof = 0, master_open = 1;
  int status = 0, exited = 0;
  long long exited_at = 0, last_output = now_ms();

  for (;;) {
    if (exited && !master_open && out_len == out_off) break;
    if (exited && out_len == out_off && now_ms() - last_output >= 200 && now_ms() - exited_at >= 200) break;

    struct pollfd p[5];
    int n = 0, i_master = -1, i_in = -1, i_out = -1, i_ctl = -1;
    p[n] = (struct pollfd){sigpipe_fds[0], POLLIN, 0};
    n++;
    if (master_open) {
      short ev = 0;
      if (out_len == out_off) ev |= POLLIN;
      if (in_len > in_off || send_eof) ev |= POLLOUT;
      if (ev) {
        i_master = n;
        p[n++] = (struct pollfd){master, ev, 0};
      }
    }
    if (stdin_open && in_len == in_off && !send_eof) {
      i_in = n;
      p[n++] = (struct pollfd){0, POLLIN, 0};
    }
    if (out_len > out_off) {
      i_out = n;
      p[n++] = (struct pollfd){1, POLLOUT, 0};
    }
    if (ctl_open) {
      i_ctl = n;
      p[n++] = (struct pollfd){3, POLLIN, 0};
    }
    int timeout = exited ? 50 : -1;
    if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR) break;

    if (p[0].revents & POLLIN) {
      unsigned char sigs[64];
      ssize_t r = read(sigpipe_fds[0], sigs, sizeof sigs);
      for (ssize_t k = 0; k < r; k++) {
        if (sigs[k] != SIGCHLD) kill(-child, sigs[k]);
      }
      if (!exited && waitpid(child, &status, WNOHANG) == child) {
        exited = 1;
        exited_at = now_ms();
      }
    }
    if (i_master >= 0 && (p[i_master].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(master, out, BUF);
      if (r > 0) {
        out_len = (size_t)r;
        out_off = 0;
        last_output = now_ms();
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        /* EIO: every slave descriptor is closed */
        if (exited) master_open = 0;
        else if (p[i_master].revents & POLLHUP) {
          struct timespec pause = {0, 10 * 1000 * 1000};
          nanosleep(&pause, NULL); /* hung up before exit; wait for SIGCHLD without spinning */
        }
      }
    }
    if (i_master >= 0 && master_open && (p[i_master].revents & POLLOUT)) {
      if (in_len > in_off) {
        ssize_t w = write(master, in + in_off, in_len - in_off);
        if (w > 0) in_off += (size_t)w;
        if (in_off == in_len) in_off = in_len = 0;
      } else if (send_eof) {
        struct termios t;
        char eof = 4;
        if (tcgetattr(master, &t) == 0 && t.c_cc[VEOF]) eof = (char)t.c_cc[VEOF];
        if (write(master, &eof, 1) == 1) send_eof = 0;
      }
    }
    if (i_in >= 0 && (p[i_in].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(0, in, BUF);
      if (r > 0) {
        in_len = (size_t)r;
        in_off = 0;
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        stdin_open = 0;
        send_eof = 1;
      }
    }
    if (i_out >= 0 && (p[i_out].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(1, out + out_off, out_len - out_off);
      if (w > 0) out_off += (size_t)w;
      else if (w < 0 && errno != EAGAIN && errno != EINTR) out_off = out_len; /* reader gone */
      if (out_off == out_len) out_off = out_len = 0;
    }
    if (i_ctl >= 0 && (p[i_ctl].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(3, ctl + ctl_len, sizeof ctl - ctl_len);
      if (r > 0) {
        ctl_len += (size_t)r;
        if (ctl_len == sizeof ctl) {
          struct winsize next = {0};
          next.ws_row = (unsigned short)(ctl[0] | ctl[1] << 8);
          next.ws_col = (unsigned short)(ctl[2] | ctl[3] << 8);
          ioctl(master, TIOCSWINSZ, &next); /* the kernel sends SIGWINCH to the foreground group */
          ctl_len = 0;
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        /* envd went away: hang the session up */
        ctl_open = 0;
        if (!exited) kill(-child, SIGHUP);
      }
    }
  }

  if (!exited) waitpid(child, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
  }
  return 1;
}
