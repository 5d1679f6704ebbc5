#!/usr/bin/env python3
"""An SMTP server for tests and benchmarks (aiosmtpd), with the faults real servers show.

  smtp_sink.py --port P [--out FILE] [--tls-cert C --tls-key K (--starttls | --implicit-tls)] [--auth USER:PASS]
               [--temp-fail N] [--reject-domain D] [--drop-during-data N] [--delay-ms N]

Every accepted message is appended to --out as one JSON line: {"messageId", "from", "to", "subject", "size", "text"}
(text: every text part, decoded).
--temp-fail N answers 451 to the first N RCPT commands; --reject-domain answers 550 (relay denied) to
recipients in D; --drop-during-data N closes the connection in the middle of the Nth DATA;
--delay-ms N waits N ms before accepting each message."""
import argparse, asyncio, email, email.header, json, os, signal, ssl, sys, threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, args):
        self.args, self.lock = args, threading.Lock()
        self.temp_failures, self.data_count = args.temp_fail, 0
        self.out = open(args.out, "a", buffering=1) if args.out else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.reject_domain and address.lower().endswith("@" + self.args.reject_domain):
            return "550 5.7.1 Relaying denied"
        with self.lock:
            if self.temp_failures > 0:
                self.temp_failures -= 1
                return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.delay_ms:
            await asyncio.sleep(self.args.delay_ms / 1000)
        with self.lock:
            self.data_count += 1
            drop = self.data_count == self.args.drop_during_data
        if drop:
            server.transport.close()
            return "421 4.3.0 Closing"
        message = email.message_from_bytes(envelope.content)
        record = {"messageId": message.get("Message-ID"), "from": envelope.mail_from, "to": envelope.rcpt_tos,
                  "subject": str(email.header.make_header(email.header.decode_header(message.get("Subject", "")))), "size": len(envelope.content),
                  "text": "\n".join(part.get_payload(decode=True).decode("utf-8", "replace") for part in message.walk()
                                    if part.get_content_maintype() == "text")}
        if self.out:
            with self.lock:
                self.out.write(json.dumps(record) + "\n")
        return "250 2.0.0 Accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out")
    parser.add_argument("--tls-cert"); parser.add_argument("--tls-key")
    parser.add_argument("--starttls", action="store_true"); parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--temp-fail", type=int, default=0)
    parser.add_argument("--reject-domain")
    parser.add_argument("--drop-during-data", type=int, default=0)
    parser.add_argument("--delay-ms", type=int, default=0, help="wait this long before accepting each message (a slow server)")
    args = parser.parse_args()
    kwargs = {}
    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.starttls:
        kwargs.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)   # handled=False: aiosmtpd itself answers 535 on failure
        # aiosmtpd only counts STARTTLS as TLS: with implicit TLS it would hide AUTH
        kwargs.update(authenticator=authenticator, auth_require_tls=bool(context) and not args.implicit_tls, auth_required=True)
    controller = Controller(Sink(args), hostname="127.0.0.1", port=args.port, ssl_context=context if args.implicit_tls else None,
                            data_size_limit=10 * 1024 * 1024, **kwargs)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    parent = os.getppid()
    while not stop.wait(0.5):
        if os.getppid() != parent:   # the test or benchmark that started us is gone: do not outlive it
            break
    controller.stop()


if __name__ == "__main__":
    main()
