# An SMTP sink (aiosmtpd) that stores every message in a maildir.
smtp_dir() { echo "$LOCAL_DIR/smtp"; }
smtp_running() { pid_alive "$(smtp_dir)/smtp.pid"; }
smtp_start() {
  local d; d="$(smtp_dir)"; mkdir -p "$d/maildir/tmp" "$d/maildir/new" "$d/maildir/cur"   # a Maildir needs all three
  if smtp_running; then log "SMTP sink already running"; return 0; fi
  port_free "$SMTP_PORT" || die "port $SMTP_PORT is in use by another program; set INBOARD_SMTP_PORT to a free port"
  nohup "$SYSTEM_PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$d/maildir" \
    >"$d/smtp.log" 2>&1 &
  echo $! > "$d/smtp.pid"
  wait_for "SMTP sink" 15 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT"
  log "SMTP sink started on 127.0.0.1:$SMTP_PORT (maildir $d/maildir)"
}
smtp_stop() { stop_pidfile "SMTP sink" "$(smtp_dir)/smtp.pid" TERM; }
smtp_status() { if smtp_running; then echo "smtp-sink: running on 127.0.0.1:$SMTP_PORT"; else echo "smtp-sink: stopped"; fi; }
