// A thin C surface over OpenLDAP's libldap/liblber for LDAPKit: macros Swift cannot import become
// inline functions, and the variadic ber_printf/ber_scanf calls get fixed-shape wrappers.
#ifndef INBOARD_CLDAP_SHIM_H
#define INBOARD_CLDAP_SHIM_H

#define LDAP_DEPRECATED 1
#include <sys/time.h>
#include <lber.h>
#include <ldap.h>

static inline void *cldap_opt_on(void) { return LDAP_OPT_ON; }
static inline void *cldap_opt_off(void) { return LDAP_OPT_OFF; }
static inline const char *cldap_sasl_simple(void) { return LDAP_SASL_SIMPLE; }

static inline ber_tag_t cldap_res_search_entry(void) { return LDAP_RES_SEARCH_ENTRY; }
static inline ber_tag_t cldap_res_search_reference(void) { return LDAP_RES_SEARCH_REFERENCE; }
static inline ber_tag_t cldap_res_search_result(void) { return LDAP_RES_SEARCH_RESULT; }
static inline int cldap_scope_base(void) { return LDAP_SCOPE_BASE; }
static inline int cldap_scope_one(void) { return LDAP_SCOPE_ONELEVEL; }
static inline int cldap_scope_subtree(void) { return LDAP_SCOPE_SUBTREE; }

/// Encodes the RFC 2696 paged-results control value: SEQUENCE { size INTEGER, cookie OCTET STRING }.
static inline int cldap_encode_paged_control(ber_int_t size, struct berval *cookie, struct berval *out) {
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    if (ber == NULL) return -1;
    struct berval empty = { 0, NULL };
    int rc = ber_printf(ber, "{iO}", size, cookie != NULL ? cookie : &empty);
    if (rc == -1) { ber_free(ber, 1); return -1; }
    rc = ber_flatten2(ber, out, 1);
    ber_free(ber, 1);
    return rc;
}

/// Decodes the RFC 2696 paged-results response value; the cookie is allocated by liblber (free with ber_memfree).
static inline int cldap_decode_paged_control(struct berval *value, ber_int_t *estimate, struct berval *cookie) {
    BerElement *ber = ber_init(value);
    if (ber == NULL) return -1;
    ber_tag_t tag = ber_scanf(ber, "{io}", estimate, cookie);
    ber_free(ber, 1);
    return tag == LBER_ERROR ? -1 : 0;
}

#endif
