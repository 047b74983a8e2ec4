"""What the sending tests and the inbox tests share."""

from __future__ import annotations


def dsn(recipient: str, status: str, original_id: str = "<unknown@x>", dsn_id: str = "<d1@mx>",
        action: str = "failed") -> bytes:
    return f"""From: MAILER-DAEMON@mx.example
To: vie@coop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: {dsn_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Votre message n'a pas pu être remis.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 {status} mailbox problem

--B
Content-Type: text/rfc822-headers

From: vie@coop.example
To: {recipient}
Message-ID: {original_id}
Subject: Sondage

--B--
""".replace("\n", "\r\n").encode()
