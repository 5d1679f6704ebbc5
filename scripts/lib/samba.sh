# Samba AD DC for Active Directory behaviour: realm EXAMPLE.TEST, LDAP on 127.0.0.1:389 / ldaps 636 with the test CA.
samba_dir() { echo "$LOCAL_DIR/samba"; }
samba_running() { pid_alive "$(samba_dir)/samba.pid"; }
samba_provision() {
  local s; s="$(samba_dir)"
  [ -f "$s/etc/smb.conf" ] && return 0
  log "provisioning Samba AD domain $AD_REALM in $s"
  rm -rf "$s"; mkdir -p "$s"; : > "$s/empty.conf"
  samba-tool domain provision -s "$s/empty.conf" --realm="$AD_REALM" --domain="$AD_DOMAIN" --server-role=dc \
    --dns-backend=SAMBA_INTERNAL --adminpass="$AD_ADMIN_PASSWORD" --targetdir="$s" --host-ip=127.0.0.1 \
    --host-name=dc1 --option="interfaces = lo" --option="bind interfaces only = yes" >"$s/provision.log" 2>&1 \
    || die "Samba provisioning failed; see $s/provision.log"
  # No DNS forwarding (no traffic may leave loopback); plain simple binds on 389; our own TLS certificate.
  sed -i '/dns forwarder/d' "$s/etc/smb.conf"
  sed -i "/^\[global\]/a\\
\tldap server require strong auth = no\\
\tpid directory = $s/run\\
\tncalrpc dir = $s/run/ncalrpc\\
\twinbindd socket directory = $s/run/winbindd\\
\tlog file = $s/log.%m\\
\ttls enabled = yes\\
\ttls keyfile = $LOCAL_DIR/tls/server.key\\
\ttls certfile = $LOCAL_DIR/tls/server.pem\\
\ttls cafile = $LOCAL_DIR/tls/ca.pem" "$s/etc/smb.conf"
  mkdir -p "$s/run"
}
samba_start() {
  local s; s="$(samba_dir)"
  if samba_running; then log "Samba AD already running"; return 0; fi
  port_free 389 || die "port 389 is in use by another program; Samba AD needs it"
  samba_provision
  nohup samba --foreground --no-process-group -M single -s "$s/etc/smb.conf" >"$s/samba.out" 2>&1 &
  echo $! > "$s/samba.pid"
  # A loaded 2-core machine once needed more than 60 s for a freshly provisioned DC to answer.
  wait_for "Samba AD (log: $s/samba.out)" 180 ldapsearch -x -H ldap://127.0.0.1:389 -D "Administrator@example.test" -w "$AD_ADMIN_PASSWORD" \
    -b "DC=example,DC=test" -s base
  # The SRV records name dc1.example.test; its address record is ours to add, once Samba's DNS answers
  # (just after start it may not yet: a silent failure here left discovery without an address in CI). Each try
  # is a samba-tool run of seconds on a loaded machine; the last one's output is shown when none succeeds.
  if ! (wait_for "Samba AD DNS record for dc1.example.test" 180 samba_dc_address_record); then
    tail -5 "$s/dns-record.log" >&2
    die "Samba AD's DNS did not take the address record of dc1.example.test; see $s/dns-record.log and the logs in $s"
  fi
  log "Samba AD started (ldap://127.0.0.1:389, ldaps://127.0.0.1:636, realm $AD_REALM)"
  samba_load_org
}

# The AD sample organisation, once per provisioned domain: 1,600 people (all in big-group, for range
# retrieval), nested groups, disabled accounts. unicodePwd can only be written over TLS.
samba_load_org() {
  local s; s="$(samba_dir)"
  [ -f "$s/org.loaded" ] && return 0
  "$SYSTEM_PYTHON" "$REPO_DIR/scripts/gen-org" --flavour ad --users 1600 --groups 20 --big-group 1600 > "$s/org.ldif"
  local t0=$SECONDS
  LDAPTLS_CACERT="$LOCAL_DIR/tls/ca.pem" ldapadd -c -x -H ldaps://127.0.0.1:636 -D "Administrator@example.test" \
    -w "$AD_ADMIN_PASSWORD" -f "$s/org.ldif" >"$s/org.log" 2>&1 || { tail -5 "$s/org.log" >&2; die "loading the AD sample organisation failed; see $s/org.log"; }
  touch "$s/org.loaded"
  log "loaded the AD sample organisation (1,600 people) in $((SECONDS - t0))s"
}
samba_dc_address_record() {
  local auth="Administrator%$AD_ADMIN_PASSWORD" log; log="$(samba_dir)/dns-record.log"
  timeout 30 samba-tool dns query 127.0.0.1 example.test dc1 A -U "$auth" >"$log" 2>&1 && grep -q "127.0.0.1" "$log" && return 0
  timeout 30 samba-tool dns add 127.0.0.1 example.test dc1 A 127.0.0.1 -U "$auth" >>"$log" 2>&1
}
samba_stop() { stop_pidfile "Samba AD" "$(samba_dir)/samba.pid" TERM; }
samba_status() { if samba_running; then echo "samba-ad: running"; else echo "samba-ad: stopped"; fi; }
