#!/usr/bin/env bash
# The Debian package end to end on this machine: build it (scripts/package), install it (apt, which also
# installs what it depends on), check the binary needs no Swift toolchain and the unit passes
# systemd-analyze verify, run the installed binary's setup against the test PostgreSQL, serve it as the
# inboard account with the installed environment file, sign in (with the installed inboard-client too, from
# its own package), then remove (configuration kept) and purge (configuration gone). Needs root and the test
# services (source .local/env first).
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { echo "[package test] $*"; }
fail() { echo "[package test] FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (it installs the package)"
: "${INBOARD_TEST_DATABASE_ADMIN_URL:?source .local/env first}" "${INBOARD_DATABASE_URL:?source .local/env first}"
for package in inboard inboard-client; do
  if dpkg -s "$package" >/dev/null 2>&1; then fail "a package named $package is installed already; remove it first (dpkg --purge $package)"; fi
done

work=$(mktemp -d) name="inboard_pkg_$RANDOM" server=""
pg_host_port=$(echo "$INBOARD_DATABASE_URL" | sed -E 's|^[a-z]+://[^@]*@([^/]*)/.*|\1|')
cleanup() {
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  dpkg --purge inboard inboard-client >/dev/null 2>&1 || true
  rm -rf /var/lib/inboard/policy  # the package keeps an admin's policies; this machine's are the test's own
  psql -q "$INBOARD_TEST_DATABASE_ADMIN_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "DROP ROLE IF EXISTS $name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
rm -rf /var/lib/inboard/policy  # left by an earlier run: install copies the samples only where none are

scripts/package "$work/dist"
deb=$(ls "$work"/dist/inboard_*.deb) client_deb=$(ls "$work"/dist/inboard-client_*.deb)
say "installing $deb and $client_deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" "$client_deb" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install"; }
id inboard >/dev/null || fail "no inboard account"
[ "$(stat -c '%a %U %G' /etc/inboard)" = "750 root inboard" ] || fail "/etc/inboard is $(stat -c '%a %U %G' /etc/inboard)"
[ -d /var/lib/inboard/policy ] || fail "no sample policies in /var/lib/inboard/policy"
# What root writes (backups, the setup log) lives where the service account cannot put a link.
[ "$(stat -c '%a %U %G' /var/backups/inboard)" = "700 root root" ] || fail "/var/backups/inboard is $(stat -c '%a %U %G' /var/backups/inboard)"
[ "$(stat -c '%a %U %G' /var/log/inboard)" = "750 root inboard" ] || fail "/var/log/inboard is $(stat -c '%a %U %G' /var/log/inboard)"
[ "$(stat -c '%U' /var/lib/inboard/policy/links.yaml)" = "inboard" ] || fail "the sample policies are not the service account's"
if ldd /usr/bin/inboard | grep -q /opt/swift; then fail "the installed binary links the Swift toolchain"; fi
env -i /usr/bin/inboard --version | grep -q '^1\.' || fail "the installed binary does not run without the toolchain"
zcat /usr/share/man/man1/inboard.1.gz | grep -q 'INBOARD SETUP' || fail "the man page lacks setup"
if ldd /usr/bin/inboard-client | grep -q /opt/swift; then fail "the installed client links the Swift toolchain"; fi
env -i /usr/bin/inboard-client --version | grep -q '^1\.' || fail "the installed client does not run without the toolchain"
zcat /usr/share/man/man1/inboard-client.1.gz | grep -q 'INBOARD-CLIENT AGENT' || fail "the client's man page lacks agent"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /lib/systemd/system/inboard.service > "$work/verify.log" 2>&1 \
    || { cat "$work/verify.log"; fail "systemd-analyze verify"; }
  say "unit verified by systemd-analyze"
else
  say "systemd-analyze not present: unit not verified"
fi

say "setup with the installed binary"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'package-test-password\n' > "$work/admin-password"
/usr/bin/inboard setup --non-interactive --database-admin-url "$INBOARD_TEST_DATABASE_ADMIN_URL" \
  --database-url "postgres://$name@$pg_host_port/$name" --secret-key-file /etc/inboard/secret.key \
  --env-file /etc/inboard/inboard.env --admin-username pkgadmin --admin-password-file "$work/admin-password" \
  --http-host 127.0.0.1 --http-port "$port" > "$work/setup.log" 2>&1 || { cat "$work/setup.log"; fail "setup"; }
[ "$(stat -c '%a %U %G' /etc/inboard/secret.key)" = "640 root inboard" ] || fail "secret.key is $(stat -c '%a %U %G' /etc/inboard/secret.key)"
[ "$(stat -c '%a %U %G' /etc/inboard/inboard.env)" = "640 root inboard" ] || fail "inboard.env is $(stat -c '%a %U %G' /etc/inboard/inboard.env)"
[ -f /var/log/inboard/setup.log ] || fail "no /var/log/inboard/setup.log"

say "serving as the inboard account with the installed environment file"
# setpriv execs (no parent in between), so the signal below reaches the server itself, as systemd's would.
setpriv --reuid=inboard --regid=inboard --init-groups env -i PATH=/usr/bin:/bin bash -c \
  'set -a; . /etc/inboard/inboard.env; set +a; cd /var/lib/inboard; INBOARD_POLICY_DIR=/var/lib/inboard/policy exec /usr/bin/inboard serve' \
  > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; fail "the server exited"; }
  sleep 0.2
done
curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null || { cat "$work/serve.log"; fail "not ready within 20 s"; }
token=$(curl -fs -H 'Content-Type: application/json' -d '{"username":"pkgadmin","password":"package-test-password"}' \
  "http://127.0.0.1:$port/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') \
  || fail "the admin cannot sign in"
curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/me" | grep -q pkgadmin || fail "GET /api/v1/me"
client_home="$work/client-home"; mkdir -p "$client_home"
env -i HOME="$client_home" INBOARD_SERVER="http://127.0.0.1:$port/" /usr/bin/inboard-client login --username pkgadmin \
  --password-file "$work/admin-password" > "$work/client.log" 2>&1 || { cat "$work/client.log"; fail "inboard-client login"; }
env -i HOME="$client_home" /usr/bin/inboard-client where | grep -q "127.0.0.1:$port" || fail "inboard-client where"
pgrep -u inboard -f '/usr/bin/inboard serve' >/dev/null || fail "serve does not run as the inboard account"
kill -TERM "$server"; wait "$server" || fail "serve did not stop cleanly on SIGTERM"; server=""
(set -a; . /etc/inboard/inboard.env; set +a; /usr/bin/inboard doctor > "$work/doctor.log" 2>&1) || { cat "$work/doctor.log"; fail "doctor"; }
say "served, signed in (browser API and inboard-client), stopped cleanly; doctor passed"

dpkg -r inboard inboard-client >/dev/null
[ ! -e /usr/bin/inboard ] && [ ! -e /usr/bin/inboard-client ] || fail "remove left a binary"
[ -f /etc/inboard/inboard.env ] && [ -f /etc/inboard/secret.key ] || fail "remove took the configuration"
dpkg --purge inboard >/dev/null
[ ! -e /etc/inboard ] || fail "purge left /etc/inboard"
[ -d /var/lib/inboard/policy ] || fail "purge took the policies (an administrator's work, in no backup)"
say "removed (configuration kept), then purged (configuration gone, policies kept): passed"
