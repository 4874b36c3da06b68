"""A real SMTP server for Herald's tests, built on aiosmtpd.

Usage: smtp_sink.py DIR. Listens on 127.0.0.1 (a free port), prints "READY <port>", and
stores every accepted message in DIR as NNNNN.json: envelope recipients, the raw header
names, and the decoded subject, text and HTML parts. Scripted answers: recipients whose
local part starts with "tempfail" get 451 on their first two attempts, "reject" gets 550.
Runs until its standard input closes.
"""
import email
import email.policy
import itertools
import json
import os
import socket
import sys

try:
    from aiosmtpd.controller import Controller
except ImportError:
    print("NO_AIOSMTPD", flush=True)
    sys.exit(3)


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.tries = {}
        self.numbers = itertools.count()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            tries = self.tries.get(address, 0)
            self.tries[address] = tries + 1
            if tries < 2:
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {"text": None, "html": None}
        for part in message.walk():
            kind = part.get_content_type()
            if kind == "text/plain":
                parts["text"] = part.get_content()
            elif kind == "text/html":
                parts["html"] = part.get_content()
        record = {
            "to": envelope.rcpt_tos,
            "from": envelope.mail_from,
            "headers": [name for name, _ in message.items()],
            "subject": str(message["subject"]),
            "message_id": str(message["message-id"]),
            "list_unsubscribe": message["list-unsubscribe"] and str(message["list-unsubscribe"]),
            "list_unsubscribe_post": message["list-unsubscribe-post"] and str(message["list-unsubscribe-post"]),
            "text": parts["text"],
            "html": parts["html"],
        }
        path = os.path.join(self.directory, "%05d.json" % next(self.numbers))
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK queued as herald-test"


def main():
    directory = sys.argv[1]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY %d" % port, flush=True)
    sys.stdin.read()
    controller.stop()


main()
