# OpenLDAP slapd with its own config: mdb, memberof, refint, ppolicy, sizelimit unlimited, TLS from the test CA.
# Two instances share one configuration shape: the main one ($SLAPD_PORT + ldaps $SLAPD_TLS_PORT) and a
# second one ($SLAPD2_PORT) for failover and paging tests, whose size limit (1,000) is below what paged
# searches must still return in full. Tests start and stop it with "scripts/services instance 2 start|stop".
# A third ($SLAPD3_PORT, same 10,000 people, no size limit) belongs to the directory sync tests, which
# change its entries and stop it mid-run; it starts only when they ask ("scripts/services instance 3 start").
slapd_dir() { echo "$LOCAL_DIR/slapd${1:-}"; }

slapd_write_conf() { # slapd_write_conf DIR [SIZELIMIT]
  local d="$1" sizelimit="${2:-unlimited}"
  mkdir -p "$d/db"
  cat > "$d/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
moduleload ppolicy
pidfile $d/slapd.pid
argsfile $d/slapd.args
sizelimit $sizelimit
TLSCACertificateFile $LOCAL_DIR/tls/ca.pem
TLSCertificateFile $LOCAL_DIR/tls/server.pem
TLSCertificateKeyFile $LOCAL_DIR/tls/server.key
database mdb
maxsize 4294967296
suffix "$LDAP_SUFFIX"
rootdn "$LDAP_ADMIN_DN"
rootpw $LDAP_ADMIN_PASSWORD
directory $d/db
dbnosync
index objectClass eq
index uid,cn,mail eq,sub
index entryUUID,member,uniqueMember,memberUid eq
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by dn.exact="$LDAP_READER_DN" read
  by users read
  by * none
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-refint TRUE
overlay refint
refint_attributes member
overlay ppolicy
ppolicy_default "cn=default,ou=policies,$LDAP_SUFFIX"
ppolicy_use_lockout
CONF
}

slapd_sizelimit() { if [ "${1:-}" = 2 ]; then echo "size.soft=1000 size.hard=1000 size.prtotal=unlimited"; else echo unlimited; fi; }

slapd_answers() { ldapsearch -x -H "ldap://127.0.0.1:$1" -D "$LDAP_ADMIN_DN" -w "$LDAP_ADMIN_PASSWORD" -b "" -s base; }

slapd_running() { pid_alive "$(slapd_dir "${1:-}")/slapd.pid"; }

slapd_start() { # slapd_start [2|3]  -- "2" starts the second instance on $SLAPD2_PORT, "3" the third on $SLAPD3_PORT
  local n="${1:-}" d; d="$(slapd_dir "$n")"
  [ -f "$d/slapd.conf" ] || slapd_write_conf "$d" "$(slapd_sizelimit "$n")"
  local urls="ldap://127.0.0.1:$SLAPD_PORT/ ldaps://127.0.0.1:$SLAPD_TLS_PORT/" port="$SLAPD_PORT"
  [ "$n" = 2 ] && { urls="ldap://127.0.0.1:$SLAPD2_PORT/"; port="$SLAPD2_PORT"; }
  [ "$n" = 3 ] && { urls="ldap://127.0.0.1:$SLAPD3_PORT/"; port="$SLAPD3_PORT"; }
  if slapd_running "$n"; then
    # "Running" must also mean answering: a killed slapd still exiting is not a directory.
    wait_for "slapd$n (already running)" 60 slapd_answers "$port"
    log "slapd$n already running"; return 0
  fi
  port_free "$port" || die "port $port is in use by another program; set INBOARD_SLAPD${n}_PORT to a free port"
  if [ ! -f "$d/db/data.mdb" ]; then
    if [ -n "$n" ]; then slapd_seed "$d" 10000 100; else slapd_seed "$d" 200 20; fi
  fi
  slapd -h "$urls" -f "$d/slapd.conf" 2>"$d/slapd.log" || die "slapd failed to start; see $d/slapd.log"
  wait_for "slapd$n" 60 slapd_answers "$port"
  log "slapd$n started on $urls"
}

slapd_seed() { # slapd_seed DIR USERS GROUPS: a generated organisation, so that a fresh start is immediately usable
  "$SYSTEM_PYTHON" "$REPO_DIR/scripts/gen-org" --users "$2" --groups "$3" > "$1/seed.ldif"
  slapadd -q -f "$1/slapd.conf" -l "$1/seed.ldif" >/dev/null 2>"$1/slapadd.log" || die "slapadd failed; see $1/slapadd.log"
}

slapd_stop() { # slapd_stop [2|3]
  if [ -z "${1:-}" ]; then
    stop_pidfile slapd2 "$(slapd_dir 2)/slapd.pid" INT
    stop_pidfile slapd3 "$(slapd_dir 3)/slapd.pid" INT
  fi
  stop_pidfile "slapd${1:-}" "$(slapd_dir "${1:-}")/slapd.pid" INT
}
slapd_status() {
  for n in "" 2 3; do
    if slapd_running "$n"; then echo "slapd$n: running"; else echo "slapd$n: stopped"; fi
  done
}

# slapd_load_org [--instance 2] GEN-ORG-ARGS...: replaces the directory of an instance with a generated organisation.
slapd_load_org() {
  local n=""
  if [ "${1:-}" = "--instance" ]; then n="$2"; shift 2; fi
  local d; d="$(slapd_dir "$n")"
  [ -f "$d/slapd.conf" ] || slapd_write_conf "$d" "$(slapd_sizelimit "$n")"
  local was_running=0; slapd_running "$n" && was_running=1
  stop_pidfile "slapd$n" "$d/slapd.pid" INT
  "$SYSTEM_PYTHON" "$REPO_DIR/scripts/gen-org" "$@" > "$d/org.ldif"
  rm -rf "$d/db"; mkdir -p "$d/db"
  local t0=$SECONDS
  slapadd -q -f "$d/slapd.conf" -l "$d/org.ldif" >/dev/null 2>"$d/slapadd.log" || die "slapadd failed; see $d/slapadd.log"
  log "loaded $(grep -c '^dn: ' "$d/org.ldif") entries into slapd$n in $((SECONDS - t0))s"
  [ "$was_running" = 1 ] && slapd_start "$n"
  return 0
}
