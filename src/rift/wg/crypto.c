/* crypto.c - transport-data jobs (contract in crypto.h). */
#include "rift/wg/crypto.h"

#include "core/ct.h"
#include "core/err.h"
#include "rift/wg/msg.h"
#include "rift/wg/noise.h"

void rg_wg_crypto_run(struct rg_wg_crypto *c)
{
	uint8_t *body = c->msg + RG_WG_DATA_HEADER;

	if (c->op == RG_WG_SEAL) {
		c->out = rg_wg_data_seal(c->key, c->remote_index, c->counter, body, c->len, c->pad,
					 c->msg);
		c->ok = true;
		return;
	}
	c->ok = c->len >= RG_WG_DATA_MIN &&
		rg_wg_data_open(c->key, c->counter, body, c->len - RG_WG_DATA_HEADER, body,
				&c->out) == CORE_OK;
}

void rg_wg_crypto_wipe(struct rg_wg_crypto *c)
{
	size_t used = c->op == RG_WG_SEAL ? RG_WG_DATA_HEADER + c->pad + 16 : c->len;

	core_wipe(c->key, sizeof(c->key));
	core_wipe(c->msg, used < sizeof(c->msg) ? used : sizeof(c->msg));
}
