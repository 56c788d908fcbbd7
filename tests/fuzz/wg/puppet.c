/* puppet.c - a scripted WireGuard peer for the device fuzz target (contract in puppet.h). */
#include "puppet.h"

#include <stdlib.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"

void puppet_init(struct puppet *p, const uint8_t priv[RG_WG_KEY_LEN],
		 const uint8_t dut_pub[RG_WG_KEY_LEN], const uint8_t *psk)
{
	memset(p, 0, sizeof(*p));
	if (rg_wg_static_init(&p->id, priv) != CORE_OK ||
	    rg_wg_remote_init(&p->dut, &p->id, dut_pub, psk) != CORE_OK)
		abort();
}

void puppet_clear(struct puppet *p)
{
	core_wipe(p, sizeof(*p));
}

/* Keep kp as the newest keypair, forgetting the oldest. */
static void push_keypair(struct puppet *p, const struct rg_wg_keypair *kp, uint64_t now)
{
	memmove(&p->kps[1], &p->kps[0], sizeof(p->kps[0]) * (PUPPET_KEYPAIRS - 1));
	p->kps[0] = (struct puppet_keypair){ .valid = true, .kp = *kp, .created = now };
}

int puppet_initiation(struct puppet *p, const uint8_t eph[RG_WG_KEY_LEN],
		      const uint8_t tai[RG_WG_TAI64N_LEN], uint32_t sender,
		      uint8_t out[RG_WG_INITIATION_LEN])
{
	int ret = rg_wg_noise_initiation(&p->hs_init, &p->id, &p->dut, eph, tai, sender, out);

	if (ret == CORE_OK)
		memcpy(p->last_tai, tai, RG_WG_TAI64N_LEN);
	return ret;
}

int puppet_response(struct puppet *p, const uint8_t eph[RG_WG_KEY_LEN], uint32_t sender,
		    uint64_t now, uint8_t out[RG_WG_RESPONSE_LEN])
{
	struct rg_wg_initiation info;
	struct rg_wg_keypair kp;
	struct rg_wg_msg m;
	int ret;

	if (!p->have_dut_init)
		return CORE_ERR_INVALID_ARG;
	if (rg_wg_msg_decode(p->dut_init, sizeof(p->dut_init), &m) != CORE_OK)
		abort(); /* kept only after it decoded */
	ret = rg_wg_noise_open_initiation(&p->id, &m, &info);
	if (ret == CORE_OK)
		ret = rg_wg_noise_accept_initiation(&p->hs_resp, &p->dut, &m, &info);
	if (ret == CORE_OK)
		ret = rg_wg_noise_response(&p->hs_resp, &p->dut, eph, sender, out, &kp);
	if (ret == CORE_OK)
		push_keypair(p, &kp, now);
	core_wipe(&info, sizeof(info));
	core_wipe(&kp, sizeof(kp));
	return ret;
}

void puppet_macs(struct puppet *p, uint8_t *msg, size_t len, uint64_t now)
{
	rg_wg_cookie_add_macs(&p->jar, &p->dut, msg, len, now);
}

bool puppet_cookie_reply(struct puppet *p, const uint8_t *src, size_t srclen,
			 const uint8_t nonce[RG_WG_COOKIE_NONCE_LEN], const uint8_t secret[32],
			 uint64_t now, uint8_t out[RG_WG_COOKIE_LEN])
{
	struct rg_wg_msg m;

	if (p->dut_hs_len == 0 || rg_wg_msg_decode(p->dut_hs, p->dut_hs_len, &m) != CORE_OK)
		return false;
	rg_wg_cookie_make_reply(&p->checker, &p->id, &m, src, srclen, nonce, secret, now, out);
	return true;
}

size_t puppet_seal(struct puppet *p, unsigned k, uint64_t c, const uint8_t *pt, size_t len,
		   size_t pad, uint8_t *out)
{
	struct puppet_keypair *kp = &p->kps[k % PUPPET_KEYPAIRS];

	if (!kp->valid)
		return 0;
	if (c >= kp->next_counter && c != UINT64_MAX)
		kp->next_counter = c + 1;
	return rg_wg_transport_seal(&kp->kp, c, pt, len, pad, out);
}

/* Keep the device's handshake message (for a cookie reply, or to answer it). */
static void keep_handshake(struct puppet *p, const uint8_t *buf, size_t len)
{
	memcpy(p->dut_hs, buf, len);
	p->dut_hs_len = len;
	if (len == RG_WG_INITIATION_LEN) {
		memcpy(p->dut_init, buf, len);
		p->have_dut_init = true;
	}
}

static enum puppet_got receive_data(struct puppet *p, const struct rg_wg_msg *m, uint8_t *pt,
				    size_t *ptlen)
{
	for (unsigned i = 0; i < PUPPET_KEYPAIRS; i++) {
		const struct puppet_keypair *kp = &p->kps[i];

		if (kp->valid && kp->kp.local_index == m->receiver &&
		    rg_wg_transport_open(&kp->kp, m, pt, ptlen) == CORE_OK)
			return PUPPET_GOT_DATA;
	}
	return PUPPET_GOT_NOTHING;
}

enum puppet_got puppet_receive(struct puppet *p, const uint8_t *buf, size_t len, uint64_t now,
			       uint8_t *pt, size_t *ptlen)
{
	struct rg_wg_keypair kp;
	struct rg_wg_msg m;
	enum puppet_got got = PUPPET_GOT_NOTHING;

	if (rg_wg_msg_decode(buf, len, &m) != CORE_OK)
		return PUPPET_GOT_NOTHING;
	switch (m.type) {
	case RG_WG_INITIATION:
	case RG_WG_RESPONSE:
		if (!rg_wg_cookie_check_mac1(&p->id, buf, len))
			return PUPPET_GOT_BAD_MAC1;
		keep_handshake(p, buf, len);
		if (m.type == RG_WG_INITIATION)
			return PUPPET_GOT_INIT;
		if (rg_wg_noise_consume_response(&p->hs_init, &p->id, &p->dut, &m, &kp) ==
		    CORE_OK) {
			push_keypair(p, &kp, now);
			got = PUPPET_GOT_RESPONSE;
		}
		core_wipe(&kp, sizeof(kp));
		return got;
	case RG_WG_COOKIE:
		return rg_wg_cookie_consume_reply(&p->jar, &p->dut, &m, now) == CORE_OK
			       ? PUPPET_GOT_COOKIE
			       : PUPPET_GOT_NOTHING;
	case RG_WG_DATA:
		return receive_data(p, &m, pt, ptlen);
	}
	return PUPPET_GOT_NOTHING;
}
