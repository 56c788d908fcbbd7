/*
 * goet-nfdelay QUEUE DELAY_MS LOSS_PERCENT [SEED]: delay and drop packets
 * that netfilter hands to NFQUEUE number QUEUE, for benchmarks on a kernel
 * without netem (shared/notes/lab.md). Each packet is dropped with
 * probability LOSS_PERCENT / 100 (independently), otherwise accepted
 * DELAY_MS after it arrived, in arrival order. Hook it on the receiving
 * side (PREROUTING of a namespace): holding packets in the sender's OUTPUT
 * keeps them charged to the sending socket and TCP Small Queues then
 * throttles TCP.
 *
 *   iptables -t raw -A PREROUTING -i veth0 -j NFQUEUE --queue-num 7 --queue-bypass
 *   (nft's own queue expression is missing from this kernel; iptables-nft works)
 *   goet-nfdelay 7 25 0.5 &
 *
 * Only metadata is copied from the kernel (verdicts need the packet id);
 * runs until SIGTERM/SIGINT. Prints one line at exit: packets seen,
 * dropped, and the largest backlog held.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NFD_MAX_HELD  (1u << 20) /* packets held at once (the ring) */
#define NFD_QUEUE_LEN 200000	 /* the kernel's queue, in packets */
#define NFD_RCVBUF    (64 << 20) /* netlink socket buffer */

struct held {
	uint32_t id;
	uint64_t due_ns;
};

static struct held *ring;
static size_t head, count, max_count;
static uint64_t delay_ns, seen, dropped;
static uint32_t loss_threshold; /* drop when rand32 < threshold */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static volatile sig_atomic_t stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: uniform enough for independent loss */
static uint32_t rand32(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	uint32_t id;

	if (ph == NULL)
		return 0;
	id = ntohl(ph->packet_id);
	seen++;
	if (loss_threshold > 0 && rand32() < loss_threshold) {
		dropped++;
		return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
	}
	if (delay_ns == 0 || count == NFD_MAX_HELD)
		return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
	ring[(head + count) % NFD_MAX_HELD] = (struct held){ id, now_ns() + delay_ns };
	if (++count > max_count)
		max_count = count;
	return 0;
}

/* Accept every held packet that is due; returns ms until the next one (-1: none). */
static int release_due(struct nfq_q_handle *qh)
{
	uint64_t t = now_ns();

	while (count > 0 && ring[head].due_ns <= t) {
		nfq_set_verdict(qh, ring[head].id, NF_ACCEPT, 0, NULL);
		head = (head + 1) % NFD_MAX_HELD;
		count--;
	}
	if (count == 0)
		return -1;
	return (int)((ring[head].due_ns - t + 999999) / 1000000);
}

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	char buf[65536] __attribute__((aligned));
	double loss;
	int fd, rcvbuf = NFD_RCVBUF;

	if (argc < 4) {
		fprintf(stderr, "usage: goet-nfdelay QUEUE DELAY_MS LOSS_PERCENT [SEED]\n");
		return 2;
	}
	delay_ns = (uint64_t)(atof(argv[2]) * 1e6);
	loss = atof(argv[3]);
	loss_threshold = (uint32_t)(loss / 100.0 * 4294967295.0);
	if (argc > 4)
		rng ^= strtoull(argv[4], NULL, 10) * 0x100000001b3ULL;
	ring = calloc(NFD_MAX_HELD, sizeof(*ring));
	h = nfq_open();
	if (ring == NULL || h == NULL) {
		perror("goet-nfdelay: nfq_open");
		return 1;
	}
	qh = nfq_create_queue(h, (uint16_t)atoi(argv[1]), on_packet, NULL);
	if (qh == NULL || nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
		perror("goet-nfdelay: queue");
		return 1;
	}
	nfq_set_queue_maxlen(qh, NFD_QUEUE_LEN);
	fd = nfq_fd(h);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "goet-nfdelay: queue %s, %.1f ms, %.2f %% loss\n", argv[1],
		(double)delay_ns / 1e6, loss);
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = release_due(qh), n;

		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 256; i++) {
			n = (int)recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n <= 0)
				break;
			nfq_handle_packet(h, buf, n);
		}
	}
	while (count > 0) { /* let the held ones go */
		nfq_set_verdict(qh, ring[head].id, NF_ACCEPT, 0, NULL);
		head = (head + 1) % NFD_MAX_HELD;
		count--;
	}
	fprintf(stderr, "goet-nfdelay: %llu packets, %llu dropped, at most %zu held\n",
		(unsigned long long)seen, (unsigned long long)dropped, max_count);
	nfq_destroy_queue(qh);
	nfq_close(h);
	free(ring);
	return 0;
}
