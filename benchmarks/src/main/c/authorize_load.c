/*
 * Constant-rate HTTP/1.1 load for GET /authorize, in the manner of wrk2: one thread, epoll, keep-alive
 * connections, and every request timed from its *scheduled* start, so a stall delays the clock of every request
 * behind it (coordinated omission corrected). Native and single-threaded so that it can be pinned to one core
 * apart from the edge and cost little of it. Needs Linux 5.11+ and glibc 2.35+ (epoll_pwait2).
 *
 *   gcc -O2 -o authorize_load benchmarks/src/main/c/authorize_load.c -lm
 *   taskset -c 0 ./authorize_load 127.0.0.1 8080 "<key>" read 5000 20 5 32
 *       (host port key scope rate/s seconds warm-up-seconds connections [percentiles.csv])
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 256
#define BUFFER 16384

typedef struct {
    int fd;
    int busy;
    uint64_t intended;   /* scheduled start of the request in flight, ns */
    char in[BUFFER];
    size_t used;
} connection;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static int open_connection(const char *host, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    if (connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
        perror("connect");
        exit(2);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Length of one complete response at the start of buf (Content-Length or chunked), 0 if incomplete. */
static size_t complete_response(const char *buf, size_t used, int *status) {
    const char *end = memmem(buf, used, "\r\n\r\n", 4);
    if (end == NULL) {
        return 0;
    }
    size_t head = (size_t) (end - buf) + 4;
    *status = atoi(buf + 9);
    const char *length = memmem(buf, head, "Content-Length:", 15);
    if (length == NULL) {
        length = memmem(buf, head, "content-length:", 15);
    }
    if (length != NULL) {
        size_t total = head + (size_t) strtoul(length + 15, NULL, 10);
        return used >= total ? total : 0;
    }
    if (memmem(buf, head, "chunked", 7) != NULL) {
        const char *last = memmem(buf + head, used - head, "0\r\n\r\n", 5);
        return last == NULL ? 0 : (size_t) (last - buf) + 5;
    }
    return head;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* The smallest sample with at least p % of them at or below it (rank ceil(p n)), in ms; the same rule as the plots'. */
static double percentile(uint64_t *sorted, size_t n, double p) {
    if (n == 0) {
        return 0;
    }
    size_t rank = (size_t) ceil(p / 100.0 * (double) n - 1e-9);
    return (double) sorted[rank == 0 ? 0 : rank > n ? n - 1 : rank - 1] / 1e6;
}

/*
 * The distribution for a plot (io.latchkey.bench.Plot): 20 points per nine, from 0 % to the last percentile the
 * samples resolve (1 - 1/n), then the maximum.
 */
static void write_percentiles(const char *path, uint64_t *sorted, size_t n) {
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        perror(path);
        return;
    }
    fprintf(out, "percentile,ms\n");
    double max_nines = log10((double) n);
    for (int step = 0; step / 20.0 <= max_nines; step++) {
        double p = 100.0 * (1.0 - pow(10.0, -step / 20.0));
        fprintf(out, "%.6f,%.4f\n", p, percentile(sorted, n, p));
    }
    fprintf(out, "%.6f,%.4f\n", 100.0 * (1.0 - 1.0 / (double) n), (double) sorted[n - 1] / 1e6);
    if (fclose(out) != 0) {
        perror(path);
    }
}

int main(int argc, char **argv) {
    if (argc < 9) {
        fprintf(stderr, "usage: %s host port key scope rate seconds warmup-seconds connections [percentiles.csv]\n",
                argv[0]);
        return 1;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    double rate = atof(argv[5]);
    int seconds = atoi(argv[6]);
    int warmup = atoi(argv[7]);
    int connections = atoi(argv[8]);
    if (connections < 1 || connections > MAX_CONNECTIONS) {
        fprintf(stderr, "connections must be 1..%d\n", MAX_CONNECTIONS);
        return 1;
    }
    char request[1024];
    int request_length = snprintf(request, sizeof request,
            "GET /authorize HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\nX-Required-Scope: %s\r\n\r\n",
            host, port, argv[3], argv[4]);

    static connection pool[MAX_CONNECTIONS];
    int epoll = epoll_create1(0);
    for (int i = 0; i < connections; i++) {
        pool[i].fd = open_connection(host, port);
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t) i};
        epoll_ctl(epoll, EPOLL_CTL_ADD, pool[i].fd, &event);
    }

    uint64_t total = (uint64_t) (rate * (warmup + seconds));
    uint64_t measured_from = (uint64_t) (rate * warmup);
    uint64_t *latencies = calloc(total, sizeof(uint64_t));
    uint64_t interval = (uint64_t) (1e9 / rate);
    uint64_t start = now_ns() + 1000000;
    uint64_t next = 0, done = 0, failed = 0, measured = 0, reconnects = 0;
    uint64_t *queue = calloc(total, sizeof(uint64_t)); /* scheduled starts waiting for a free connection */
    size_t queue_head = 0, queue_tail = 0;

    while (done < total) {
        uint64_t now = now_ns();
        while (next < total && start + next * interval <= now) {
            queue[queue_tail++] = next++;
        }
        for (int i = 0; i < connections && queue_head < queue_tail; i++) {
            if (!pool[i].busy) {
                pool[i].busy = 1;
                pool[i].intended = start + queue[queue_head++] * interval;
                if (write(pool[i].fd, request, (size_t) request_length) != request_length) {
                    perror("write");
                    return 2;
                }
            }
        }
        /* Sleep until an answer arrives or, when nothing waits for a connection, until the next request is due, to
           the nanosecond: a timeout in whole milliseconds would be 0 at any rate above 1,000/s and turn this loop
           into a spin that takes a core from the system under test. Requests that wait for a connection are timed
           from their schedule anyway, so only an answer can let them go. */
        struct timespec timeout = {0, 0};
        struct timespec *until = NULL;
        if (queue_head == queue_tail && next < total) {
            uint64_t due = start + next * interval;
            uint64_t wait = due > now ? due - now : 0;
            timeout.tv_sec = (time_t) (wait / 1000000000ull);
            timeout.tv_nsec = (long) (wait % 1000000000ull);
            until = &timeout;
        }
        struct epoll_event events[MAX_CONNECTIONS];
        int ready = epoll_pwait2(epoll, events, MAX_CONNECTIONS, until, NULL);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("epoll_pwait2");
            return 2;
        }
        for (int e = 0; e < ready; e++) {
            connection *c = &pool[events[e].data.u32];
            ssize_t n = read(c->fd, c->in + c->used, BUFFER - c->used);
            if (n < 0 && errno == EAGAIN) {
                continue;
            }
            if (n <= 0) {
                /* The server ended a keep-alive connection: reconnect, and resend what was in flight, still timed
                   from its scheduled start. */
                epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = open_connection(host, port);
                c->used = 0;
                struct epoll_event event = {.events = EPOLLIN, .data.u32 = events[e].data.u32};
                epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event);
                reconnects++;
                if (c->busy && write(c->fd, request, (size_t) request_length) != request_length) {
                    perror("write");
                    return 2;
                }
                continue;
            }
            c->used += (size_t) n;
            int status = 0;
            size_t length = complete_response(c->in, c->used, &status);
            if (length > 0 && c->busy) {
                uint64_t finished = now_ns();
                if (done >= measured_from) {
                    latencies[measured++] = finished - c->intended;
                    if (status != 200) {
                        failed++;
                    }
                }
                done++;
                c->busy = 0;
                memmove(c->in, c->in + length, c->used - length);
                c->used -= length;
            }
        }
    }
    double elapsed = (double) (now_ns() - start) / 1e9;
    qsort(latencies, measured, sizeof(uint64_t), compare);
    printf("| %.0f/s | %lu | %lu | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.3f ms | (achieved %.0f/s over %.1f s, %d connections, %lu reconnects)\n",
           rate, (unsigned long) measured, (unsigned long) failed,
           percentile(latencies, measured, 50), percentile(latencies, measured, 90),
           percentile(latencies, measured, 99), percentile(latencies, measured, 99.9),
           measured ? (double) latencies[measured - 1] / 1e6 : 0.0,
           (double) total / elapsed, elapsed, connections, (unsigned long) reconnects);
    if (argc > 9 && measured > 0) {
        write_percentiles(argv[9], latencies, measured);
    }
    return 0;
}
