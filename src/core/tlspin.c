/* tlspin.c - a trust database of one pinned certificate (contract in tlspin.h). */
#include "core/tlspin.h"

#include <string.h>

#include "core/err.h"

#define CORE_TYPE_TLS_PIN_DATABASE (core_tls_pin_database_get_type())
G_DECLARE_FINAL_TYPE(CoreTlsPinDatabase, core_tls_pin_database, CORE, TLS_PIN_DATABASE,
		     GTlsDatabase)

struct _CoreTlsPinDatabase {
	GTlsDatabase parent;
	uint8_t fp[CORE_TLS_FP_LEN];
};

G_DEFINE_TYPE(CoreTlsPinDatabase, core_tls_pin_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags pin_verify_chain(GTlsDatabase *db, GTlsCertificate *chain,
					     const gchar *purpose, GSocketConnectable *identity,
					     GTlsInteraction *interaction,
					     GTlsDatabaseVerifyFlags flags,
					     GCancellable *cancellable, GError **error)
{
	CoreTlsPinDatabase *self = CORE_TLS_PIN_DATABASE(db);
	uint8_t fp[CORE_TLS_FP_LEN];

	if (core_tls_gcert_fingerprint(chain, fp) != CORE_OK ||
	    !core_tls_fingerprint_equal(fp, self->fp))
		return G_TLS_CERTIFICATE_UNKNOWN_CA;
	return 0;
}

static void core_tls_pin_database_class_init(CoreTlsPinDatabaseClass *klass)
{
	G_TLS_DATABASE_CLASS(klass)->verify_chain = pin_verify_chain;
}

static void core_tls_pin_database_init(CoreTlsPinDatabase *self)
{
}

GTlsDatabase *core_tls_pin_database_new(const uint8_t fp[CORE_TLS_FP_LEN])
{
	CoreTlsPinDatabase *db = g_object_new(CORE_TYPE_TLS_PIN_DATABASE, NULL);

	memcpy(db->fp, fp, CORE_TLS_FP_LEN);
	return G_TLS_DATABASE(db);
}
