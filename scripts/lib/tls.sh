# A private CA and a server certificate for 127.0.0.1 / localhost / dc1.example.test, shared by slapd, Samba and the SMTP sink.
ensure_ca() {
  local d="$LOCAL_DIR/tls"
  [ -f "$d/server.pem" ] && return 0
  mkdir -p "$d"
  log "generating a test CA and server certificate in $d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Inboard Test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,DNS:dc1.example.test,DNS:example.test,IP:127.0.0.1\n' > "$d/san.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
    -extfile "$d/san.ext" -out "$d/server.pem" 2>/dev/null
  # A second, unrelated CA: tests use it to prove that a wrong CA is refused.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Unrelated CA" \
    -keyout "$d/other-ca.key" -out "$d/other-ca.pem" 2>/dev/null
  chmod 644 "$d"/*.pem; chmod 600 "$d"/*.key   # Samba refuses a key readable by others
}
