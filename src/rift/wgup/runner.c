/*
 * runner.c - TUN + bind + WireGuard device on a main loop (contract in
 * runner.h). Three event sources drive the device: the TUN fd (packets to
 * encrypt), the bind's recv/idle callbacks (datagrams to decrypt) and one
 * timer GSource whose ready time is the device's next deadline. After each
 * burst the bind is flushed and the timer re-armed.
 */
#include "rift/wgup/runner.h"

#include <errno.h>
#include <glib-unix.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/tun/gro.h"
#include "rift/tun/vnet.h"
#include "rift/wgup/cryptoq.h"
#include "rift/wgup/uapi_server.h"

#define TUN_BURST     64  /* reads per wakeup, so the bind's side gets its turn */
#define TUN_SEG_BURST 256 /* or segments of super-packets, whichever comes first */
#define GRO_SLOTS     64  /* coalesced packets held until the bind's burst ends */

struct rg_wg_runner {
	struct rg_wg_device *dev;
	struct rg_wg_bind *bind;
	struct rg_tun *tun;
	unsigned offloads;	  /* the TUN's, RG_TUN_* */
	struct rg_gro *gro;	  /* with RG_TUN_TSO: decrypted packets for the TUN */
	struct rg_wg_cryptoq *cq; /* with crypto workers */
	GMainContext *context;	  /* thread-default at creation; ref held */
	GSource *tun_source;
	GSource *timer;
	struct rg_wg_uapi_server *uapi;
	uint64_t tun_bad; /* super-packets refused (vnet.h) */
	uint64_t now;	  /* the clock for the burst being handled; 0: read it */
	uint8_t *seg;	  /* a segment cut from a super-packet: RG_WG_MAX_PACKET bytes */
	uint8_t buf[RG_VNET_HDR_LEN + RG_WG_MAX_PACKET];
};

uint64_t rg_wg_runner_now(void)
{
	return (uint64_t)core_time_now_ns();
}

gint64 rg_wg_runner_ready_time(uint64_t deadline, uint64_t boot_now, gint64 mono_now)
{
	uint64_t us;

	if (deadline == UINT64_MAX)
		return -1;
	if (deadline <= boot_now)
		return 0;
	us = (deadline - boot_now) / 1000 + ((deadline - boot_now) % 1000 != 0); /* never early */
	if (mono_now < 0 || us > (uint64_t)(G_MAXINT64 - mono_now))
		return G_MAXINT64;
	return mono_now + (gint64)us;
}

/* Arm the timer source for the device's next deadline. */
static void rearm(struct rg_wg_runner *r)
{
	g_source_set_ready_time(r->timer, rg_wg_runner_ready_time(rg_wg_device_deadline(r->dev),
								  rg_wg_runner_now(),
								  g_get_monotonic_time()));
}

/* Write one packet (with its virtio-net header, if the TUN has them) to the TUN. */
static void tun_write(struct rg_wg_runner *r, const uint8_t *pkt, size_t len)
{
	/* a full TUN queue drops the packet, as a full link would */
	if (write(rg_tun_fd(r->tun), pkt, len) < 0 && errno != EAGAIN)
		core_log_warn("wg", rg_tun_name(r->tun), "write to TUN: %s", g_strerror(errno));
}

/* Write what the coalescer holds. */
static void gro_flush(struct rg_wg_runner *r)
{
	size_t len;

	if (r->gro == NULL)
		return;
	for (unsigned i = 0; i < rg_gro_count(r->gro); i++) {
		const uint8_t *p = rg_gro_get(r->gro, i, &len);

		tun_write(r, p, len);
	}
	rg_gro_reset(r->gro);
}

/* The device's clock, read once per burst (a burst lasts well under a millisecond). */
static uint64_t burst_now(struct rg_wg_runner *r)
{
	if (r->now == 0)
		r->now = rg_wg_runner_now();
	return r->now;
}

/* Crypto jobs taken: to the workers; those done: back to the device, in order. */
static void crypto_settle(struct rg_wg_runner *r)
{
	if (r->cq == NULL)
		return;
	do {
		rg_wg_cryptoq_submit(r->cq);
		rg_wg_cryptoq_help(r->cq);
	} while (rg_wg_cryptoq_drain(r->cq) > 0); /* (what came back may have made more) */
}

void rg_wg_runner_kick(struct rg_wg_runner *r)
{
	crypto_settle(r);
	gro_flush(r);
	rg_wg_bind_flush(r->bind);
	rearm(r);
	r->now = 0; /* the burst is over */
}

static gboolean on_timer(gpointer data)
{
	struct rg_wg_runner *r = data;

	rg_wg_device_tick(r->dev, rg_wg_runner_now());
	rg_wg_runner_kick(r);
	return G_SOURCE_CONTINUE;
}

/* A source with only a ready time: it runs its callback when that time comes. */
static gboolean dispatch_timer(GSource *source, GSourceFunc cb, gpointer data)
{
	return cb(data);
}

static GSourceFuncs timer_funcs = { .dispatch = dispatch_timer };

/* The device's datagrams go to the bind; a lost one is the bind's to count (bind.h). */
static void op_send(void *ctx, const struct rg_wg_endpoint *to, const uint8_t *buf, size_t len)
{
	struct rg_wg_runner *r = ctx;

	(void)rg_wg_bind_send(r->bind, to, buf, len);
}

/* A decrypted packet for the TUN: coalesced until the burst ends, or written at once. */
static void op_deliver(void *ctx, struct rg_wg_peer *from, const uint8_t *pkt, size_t len)
{
	struct rg_wg_runner *r = ctx;
	uint8_t none[RG_VNET_HDR_LEN] = { 0 };
	struct iovec iov[2] = { { none, sizeof(none) }, { (void *)pkt, len } };

	if (r->gro != NULL) {
		if (rg_gro_add(r->gro, pkt, len))
			return;
		gro_flush(r);
		if (rg_gro_add(r->gro, pkt, len))
			return;
	}
	if (!(r->offloads & RG_TUN_VNET_HDR)) {
		tun_write(r, pkt, len);
		return;
	}
	if (writev(rg_tun_fd(r->tun), iov, 2) < 0 && errno != EAGAIN)
		core_log_warn("wg", rg_tun_name(r->tun), "write to TUN: %s", g_strerror(errno));
}

static void op_random(void *ctx, void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

static void op_wallclock(void *ctx, int64_t *s, uint32_t *ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*s = ts.tv_sec;
	*ns = (uint32_t)ts.tv_nsec;
}

static struct rg_wg_crypto *op_crypto(void *ctx)
{
	struct rg_wg_runner *r = ctx;

	return r->cq != NULL ? rg_wg_cryptoq_job(r->cq) : NULL;
}

static const struct rg_wg_device_ops device_ops = { op_send, op_deliver, op_random, op_wallclock,
						    op_crypto };

/* A crypto job back from the workers. */
static void on_crypto_done(void *data, struct rg_wg_crypto *c)
{
	struct rg_wg_runner *r = data;

	rg_wg_device_crypto_done(r->dev, c, burst_now(r));
}

static void on_crypto_ready(void *data)
{
	rg_wg_runner_kick(data);
}

/* Before a device call: room for its crypto jobs. */
static void crypto_room(struct rg_wg_runner *r)
{
	if (r->cq != NULL)
		rg_wg_cryptoq_make_room(r->cq);
}

static void on_datagram(void *ctx, const struct rg_wg_endpoint *from, const uint8_t *buf,
			size_t len)
{
	struct rg_wg_runner *r = ctx;

	crypto_room(r);
	rg_wg_device_recv(r->dev, from, buf, len, burst_now(r));
}

static void on_bind_idle(void *ctx)
{
	rg_wg_runner_kick(ctx);
}

/*
 * A packet read with its virtio-net header: each of its segments to the
 * device; how many. A header the kernel should never have written drops
 * the packet (logged the first time).
 */
static unsigned tun_packet_offload(struct rg_wg_runner *r, size_t n, uint64_t now)
{
	struct rg_vnet_split split;
	struct rg_vnet_hdr h;
	const uint8_t *seg;
	unsigned segs = 0;
	size_t len;
	int ret = CORE_ERR_TRUNCATED;

	if (n > RG_VNET_HDR_LEN) {
		rg_vnet_hdr_decode(r->buf, &h);
		ret = rg_vnet_split_begin(&split, &h, r->buf + RG_VNET_HDR_LEN,
					  n - RG_VNET_HDR_LEN);
	}
	if (ret != CORE_OK) {
		if (r->tun_bad++ == 0)
			core_log_warn(
				"wg", rg_tun_name(r->tun),
				"dropping a packet the TUN handed over with a bad header (%s)",
				core_strerror(ret));
		return 1;
	}
	while ((len = rg_vnet_split_next(&split, r->seg, &seg)) > 0) {
		crypto_room(r);
		rg_wg_device_send(r->dev, seg, len, now);
		segs++;
	}
	return segs;
}

static gboolean on_tun_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct rg_wg_runner *r = data;
	uint64_t now = burst_now(r);
	unsigned segs = 0;

	for (int i = 0; i < TUN_BURST && segs < TUN_SEG_BURST; i++) {
		ssize_t n = read(fd, r->buf, sizeof(r->buf));

		if (n <= 0)
			break;
		if (r->offloads & RG_TUN_VNET_HDR) {
			segs += tun_packet_offload(r, (size_t)n, now);
			continue;
		}
		crypto_room(r);
		rg_wg_device_send(r->dev, r->buf, (size_t)n, now);
		segs++;
	}
	rg_wg_runner_kick(r);
	return G_SOURCE_CONTINUE;
}

static int af_of(int family)
{
	return family == 4 ? AF_INET : AF_INET6;
}

/* The TUN's offloads as the runner uses them, and what the kernel lacked (logged once). */
static void setup_offloads(struct rg_wg_runner *r)
{
	const char *name = rg_tun_name(r->tun);

	r->offloads = rg_tun_offloads(r->tun);
	if (!(r->offloads & RG_TUN_VNET_HDR)) {
		core_log_info("wg", name, "the TUN refused virtio-net headers: no offloads");
		return;
	}
	r->seg = g_malloc(RG_WG_MAX_PACKET);
	if (!(r->offloads & RG_TUN_TSO)) {
		core_log_info("wg", name,
			      "the TUN refused TCP segmentation offload: packets one by one");
		return;
	}
	if (!(r->offloads & RG_TUN_USO))
		core_log_info("wg", name,
			      "the TUN has no UDP segmentation offload (Linux < 6.2): TCP only");
	r->gro = rg_gro_new(GRO_SLOTS, r->offloads & RG_TUN_USO ? RG_GRO_UDP : 0);
}

/* The TUN: opened (with offloads when asked), MTU, addresses, up. */
static int setup_tun(struct rg_wg_runner *r, const struct rg_wg_runner_config *cfg, unsigned mtu,
		     GError **error)
{
	int ret;

	ret = cfg->offload ? rg_tun_open_offload(&r->tun, cfg->ifname, error)
			   : rg_tun_open(&r->tun, cfg->ifname, error);
	if (ret != CORE_OK)
		return ret;
	if (cfg->offload)
		setup_offloads(r);
	if ((ret = rg_tun_set_mtu(r->tun, mtu, error)) != CORE_OK)
		return ret;
	for (size_t i = 0; i < cfg->n_addresses; i++) {
		const struct rg_wg_prefix *a = &cfg->addresses[i];

		ret = rg_tun_add_address(r->tun, af_of(a->family), a->addr, a->len, error);
		if (ret != CORE_OK)
			return ret;
	}
	return rg_tun_set_up(r->tun, error);
}

/* Attach a source to the runner's context with callback cb. */
static GSource *attach(struct rg_wg_runner *r, GSource *s, GSourceFunc cb)
{
	g_source_set_callback(s, cb, r, NULL);
	g_source_attach(s, r->context);
	return s;
}

int rg_wg_runner_new(struct rg_wg_runner **out, const struct rg_wg_runner_config *cfg,
		     struct rg_wg_bind *bind, GError **error)
{
	struct rg_wg_runner *r = g_new0(struct rg_wg_runner, 1);
	unsigned mtu = cfg->mtu != 0 ? cfg->mtu : RG_WG_DEFAULT_MTU;
	int ret;

	*out = NULL;
	r->context = g_main_context_ref_thread_default();
	r->bind = bind;
	bind->recv = on_datagram;
	bind->idle = on_bind_idle;
	bind->ctx = r;
	ret = rg_wg_device_new(&r->dev, cfg->private_key, &device_ops, r);
	if (ret != CORE_OK) {
		core_err_to_gerror(error, ret, "the private key has no valid public key");
		goto out;
	}
	rg_wg_device_set_mtu(r->dev, mtu);
	if (cfg->crypto_workers > 0 &&
	    (ret = rg_wg_cryptoq_new(&r->cq, cfg->crypto_workers, r->context, on_crypto_done,
				     on_crypto_ready, r, error)) != CORE_OK)
		goto out;
	if ((ret = setup_tun(r, cfg, mtu, error)) != CORE_OK ||
	    (ret = rg_wg_uapi_server_new(&r->uapi, rg_tun_name(r->tun), r->dev, r->bind,
					 cfg->listen_port, error)) != CORE_OK)
		goto out;
	r->timer = attach(r, g_source_new(&timer_funcs, sizeof(GSource)), on_timer);
	r->tun_source = attach(r, g_unix_fd_source_new(rg_tun_fd(r->tun), G_IO_IN),
			       G_SOURCE_FUNC(on_tun_readable));
	rearm(r);
	*out = r;
	r = NULL;
out:
	rg_wg_runner_free(r);
	return ret;
}

static void source_free(GSource *s)
{
	if (s == NULL)
		return;
	g_source_destroy(s);
	g_source_unref(s);
}

void rg_wg_runner_free(struct rg_wg_runner *r)
{
	if (r == NULL)
		return;
	rg_wg_uapi_server_free(r->uapi);
	source_free(r->tun_source);
	source_free(r->timer);
	rg_wg_cryptoq_free(r->cq); /* (what it did not hand back is dropped) */
	rg_wg_bind_free(r->bind);
	rg_tun_close(r->tun);
	rg_wg_device_free(r->dev);
	g_main_context_unref(r->context);
	core_wipe(r->buf, sizeof(r->buf));
	if (r->seg != NULL)
		core_wipe(r->seg, RG_WG_MAX_PACKET);
	g_free(r->seg);
	rg_gro_free(r->gro);
	g_free(r);
}

struct rg_wg_device *rg_wg_runner_device(struct rg_wg_runner *r)
{
	return r->dev;
}

struct rg_tun *rg_wg_runner_tun(struct rg_wg_runner *r)
{
	return r->tun;
}

struct rg_wg_bind *rg_wg_runner_bind(struct rg_wg_runner *r)
{
	return r->bind;
}

const char *rg_wg_runner_ifname(const struct rg_wg_runner *r)
{
	return rg_tun_name(r->tun);
}
