/*
 * netem: the lab's delay, jitter, loss and reordering, on NFQUEUE (this
 * kernel has no sch_netem: shared/notes/lab.md). It takes the packets that
 * netfilter hands to queue QUEUE and decides each one with lab_netem_sched
 * (netem-sched.h): dropped, released at once, or held until due.
 *
 *   netem -q QUEUE [-d MS] [-j MS] [-l PERCENT] [-r PERCENT] [-s SEED] [-t SECONDS]
 *
 *   -d  delay per packet, ms (fractions allowed; default 0)
 *   -j  jitter, ms: uniform in [-j, +j], at most the delay; keeps order
 *   -l  loss, percent (independent per packet)
 *   -r  reordering, percent: that share of packets skips the queue
 *   -s  seed of the random decisions (default 1): a seed replays them
 *   -t  lifetime, s (default 600; 0 = until a signal): a test that dies
 *       never leaves a stalled path behind
 *
 * Hook it where packets arrive (PREROUTING of the receiving namespace, or
 * FORWARD of a router): packets held in the sender's OUTPUT stay charged to
 * the sending socket and TCP Small Queues then throttles TCP.
 *
 *   iptables -t raw -A PREROUTING -i veth0 -j NFQUEUE --queue-num 7 --queue-bypass
 *   (nft's own queue expression is missing from this kernel; iptables-nft works)
 *
 * tests/lab/lib/netem.sh installs the rule and starts this for a test.
 * Only metadata is copied from the kernel (a verdict needs the packet id).
 * At exit (lifetime, SIGTERM, SIGINT) every held packet is released, and one
 * line on stderr sums up: seen, dropped, reordered, most held, overflowed.
 * Exit status: 0, 1 when the queue cannot be bound, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netem-sched.h"

#define NETEM_MAX_HELD	(1u << 20) /* packets held at once */
#define NETEM_QUEUE_LEN 200000	   /* the kernel's queue, in packets */
#define NETEM_RCVBUF	(64 << 20) /* netlink socket buffer */
#define NETEM_BATCH	256	   /* messages read per wake-up */

static volatile sig_atomic_t netem_stop;

struct netem {
	struct lab_netem_sched sched;
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	unsigned queue;
};

static uint64_t netem_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void netem_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "netem: %s\n", why);
	fprintf(stderr, "usage: netem -q QUEUE [-d MS] [-j MS] [-l PERCENT] [-r PERCENT] "
			"[-s SEED] [-t SECONDS]\n");
}

/* A number in [min, max] or -1 with a message naming the option. */
static int netem_number(int opt, const char *arg, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v < min || v > max) {
		fprintf(stderr, "netem: -%c %s: not a number from %g to %g\n", opt, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct netem *n = data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	uint32_t id;

	(void)msg;
	if (ph == NULL)
		return 0;
	id = ntohl(ph->packet_id);
	switch (lab_netem_sched_packet(&n->sched, id, netem_now_ns())) {
	case LAB_NETEM_DROP:
		return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
	case LAB_NETEM_ACCEPT:
		return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
	case LAB_NETEM_HELD:
		break;
	}
	return 0;
}

/*
 * Releases what is due; returns the wait until the next is due, in ns (-1:
 * nothing held). Exact to the ns: a poll timeout in whole ms would release a
 * packet up to 1 ms late whenever another arrived while it was held, so a
 * program that sends more packets would see a longer delay.
 */
static int64_t netem_release_due(struct netem *n, uint64_t deadline_ns)
{
	uint64_t now = netem_now_ns();
	int64_t wait;
	uint32_t id;

	while (lab_netem_sched_pop(&n->sched, now, &id))
		nfq_set_verdict(n->qh, id, NF_ACCEPT, 0, NULL);
	wait = lab_netem_sched_wait_ns(&n->sched, now);
	if (deadline_ns > 0 && (wait < 0 || now + (uint64_t)wait > deadline_ns))
		wait = deadline_ns > now ? (int64_t)(deadline_ns - now) : 0;
	return wait;
}

static void on_signal(int sig)
{
	(void)sig;
	netem_stop = 1;
}

static int netem_open(struct netem *n)
{
	int rcvbuf = NETEM_RCVBUF;

	n->h = nfq_open();
	if (n->h == NULL) {
		fprintf(stderr, "netem: nfq_open: %s\n", strerror(errno));
		return -1;
	}
	n->qh = nfq_create_queue(n->h, (uint16_t)n->queue, on_packet, n);
	if (n->qh == NULL || nfq_set_mode(n->qh, NFQNL_COPY_META, 0) < 0) {
		fprintf(stderr, "netem: queue %u: %s\n", n->queue, strerror(errno));
		return -1;
	}
	nfq_set_queue_maxlen(n->qh, NETEM_QUEUE_LEN);
	/* best effort: without it a burst overflows into ENOBUFS, counted below */
	setsockopt(nfq_fd(n->h), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	return 0;
}

static void netem_run(struct netem *n, uint64_t deadline_ns, uint64_t *enobufs)
{
	static char buf[65536] __attribute__((aligned));
	int fd = nfq_fd(n->h);

	while (!netem_stop && (deadline_ns == 0 || netem_now_ns() < deadline_ns)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t wait = netem_release_due(n, deadline_ns);
		struct timespec ts = { .tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000 };

		if (ppoll(&pfd, 1, wait < 0 ? NULL : &ts, NULL) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < NETEM_BATCH; i++) {
			ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (len < 0 && errno == ENOBUFS) {
				(*enobufs)++;
				continue;
			}
			if (len <= 0)
				break;
			nfq_handle_packet(n->h, buf, (int)len);
		}
	}
}

int main(int argc, char **argv)
{
	struct lab_netem_params p = { .seed = 1 };
	struct netem n = { 0 };
	double v, life_s = 600;
	bool have_queue = false;
	uint64_t deadline_ns = 0, enobufs = 0;
	uint32_t id;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "q:d:j:l:r:s:t:h")) != -1) {
		switch (opt) {
		case 'q':
			if (netem_number(opt, optarg, 0, 65535, &v) < 0 || v != floor(v))
				goto usage;
			n.queue = (unsigned)v;
			have_queue = true;
			break;
		case 'd':
		case 'j':
			if (netem_number(opt, optarg, 0, 3600000, &v) < 0)
				goto usage;
			*(opt == 'd' ? &p.delay_ns : &p.jitter_ns) = (uint64_t)llround(v * 1e6);
			break;
		case 'l':
		case 'r':
			if (netem_number(opt, optarg, 0, 100, &v) < 0)
				goto usage;
			*(opt == 'l' ? &p.loss_ppm : &p.reorder_ppm) = (uint32_t)lround(v * 1e4);
			break;
		case 's':
			if (netem_number(opt, optarg, 0, 1e18, &v) < 0)
				goto usage;
			p.seed = (uint64_t)v;
			break;
		case 't':
			if (netem_number(opt, optarg, 0, 86400, &life_s) < 0)
				goto usage;
			break;
		case 'h':
			netem_usage(NULL);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netem: unexpected argument '%s'\n", argv[optind]);
		goto usage;
	}
	if (!have_queue) {
		netem_usage("-q QUEUE is required");
		return 2;
	}
	if (p.jitter_ns > p.delay_ns) {
		netem_usage("jitter (-j) must not exceed the delay (-d)");
		return 2;
	}
	if (lab_netem_sched_init(&n.sched, &p, NETEM_MAX_HELD) < 0) {
		fprintf(stderr, "netem: out of memory\n");
		return 1;
	}
	if (netem_open(&n) < 0)
		goto out;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL); /* wake when due, not up to 50 us later */
	if (life_s > 0)
		deadline_ns = netem_now_ns() + (uint64_t)(life_s * 1e9);
	fprintf(stderr,
		"netem: queue %u: delay %.3f ms, jitter %.3f ms, loss %.2f %%, reorder %.2f %%, "
		"seed %llu, lifetime %g s\n",
		n.queue, (double)p.delay_ns / 1e6, (double)p.jitter_ns / 1e6,
		(double)p.loss_ppm / 1e4, (double)p.reorder_ppm / 1e4, (unsigned long long)p.seed,
		life_s);
	netem_run(&n, deadline_ns, &enobufs);
	while (lab_netem_sched_pop_any(&n.sched, &id))
		nfq_set_verdict(n.qh, id, NF_ACCEPT, 0, NULL);
	fprintf(stderr,
		"netem: queue %u: seen %llu, dropped %llu, reordered %llu, held at most %zu, "
		"overflowed %llu, lost to ENOBUFS %llu\n",
		n.queue, (unsigned long long)n.sched.seen, (unsigned long long)n.sched.dropped,
		(unsigned long long)n.sched.reordered, n.sched.max_held,
		(unsigned long long)n.sched.overflowed, (unsigned long long)enobufs);
	rc = 0;
out:
	if (n.qh != NULL)
		nfq_destroy_queue(n.qh);
	if (n.h != NULL)
		nfq_close(n.h);
	lab_netem_sched_free(&n.sched);
	return rc;
usage:
	netem_usage(NULL);
	return 2;
}
