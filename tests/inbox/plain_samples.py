"""Plain-text delivery failures and automatic answers, written by hand after the formats
the servers send (Postfix, Exim, qmail, Sendmail, Microsoft, Gmail). `{rcpt}` is the
failed recipient, `{mid}` the Message-ID of the message we sent them; none carries a
message/delivery-status part."""

from __future__ import annotations

POSTFIX = """\
Return-Path: <>
From: MAILER-DAEMON@mx.coop.example (Mail Delivery System)
To: vie-cooperative@coop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <20270301091501.A1B2C3@mx.coop.example>
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.coop.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{rcpt}>: host mx.exemple.test[192.0.2.10] said: 550 5.1.1
    <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

------ This is a copy of the message, including all the headers. ------

From: Vie cooperative <vie-cooperative@coop.example>
To: {rcpt}
Subject: Information d'avancement
Message-ID: {mid}

Bonjour,
"""

EXIM = """\
Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mail.hebergeur.test>
To: vie-cooperative@coop.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1pXyZ-0001Ab-Cd@mail.hebergeur.test>
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {rcpt}
    host mx1.exemple.test [192.0.2.25]
    SMTP error from remote mail server after RCPT TO:<{rcpt}>:
    550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------

Return-path: <bounces@coop.example>
Message-ID: {mid}
From: Vie cooperative <vie-cooperative@coop.example>
Subject: Information d'avancement
"""

EXIM_MAILBOX_FULL = """\
From: Mail Delivery System <Mailer-Daemon@mail.hebergeur.test>
To: vie-cooperative@coop.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1pQuota-0002-Ef@mail.hebergeur.test>

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. The following address(es) failed:

  {rcpt}
    retry timeout exceeded
    host mx1.exemple.test [192.0.2.25]: 452 4.2.2 Mailbox full

------ This is a copy of the message, including all the headers. ------

Message-ID: {mid}
"""

QMAIL = """\
From: MAILER-DAEMON@qmail.exemple.test
To: vie-cooperative@coop.example
Subject: failure notice
Message-ID: <1709284501.12345@qmail.exemple.test>

Hi. This is the qmail-send program at qmail.exemple.test.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{rcpt}>:
192.0.2.40 does not like recipient.
Remote host said: 550 5.1.1 <{rcpt}>... User unknown
Giving up on 192.0.2.40.

--- Below this line is a copy of the message.

Return-Path: <vie-cooperative@coop.example>
Message-ID: {mid}
Subject: Information d'avancement
"""

SENDMAIL = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relais.exemple.test>
To: <vie-cooperative@coop.example>
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)
Message-Id: <202703010915.ABC123@relais.exemple.test>

The original message was received at Mon, 1 Mar 2027 10:15:00 +0100
from coop.example [192.0.2.1]

   ----- The following addresses had permanent fatal errors -----
<{rcpt}>
    (reason: 550 5.1.1 User unknown)

   ----- Transcript of session follows -----
... while talking to mx.exemple.test.:
>>> DATA
<<< 550 5.1.1 User unknown
"""

MICROSOFT = """\
From: postmaster@outlook.com
To: vie-cooperative@coop.example
Subject: Undeliverable: Information d'avancement
Message-ID: <a1b2c3d4@DB8PR01MB1234.eurprd01.prod.exchangelabs.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="ndr"

--ndr
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Delivery has failed to these recipients or groups:

{rcpt} ({rcpt})
The email address you entered couldn't be found. Please check the recipient's email
address and try to resend the message. If the problem continues, please contact your
helpdesk.

Diagnostic information for administrators:

Generating server: DB8PR01MB1234.eurprd01.prod.exchangelabs.com

{rcpt}
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP
address lookup'

Original message headers:

From: Vie cooperative <vie-cooperative@coop.example>
Subject: Information d'avancement
--ndr
Content-Type: text/html; charset="utf-8"

<p>Delivery has failed to these recipients or groups:</p>
--ndr--
"""

OUTLOOK_FR = """\
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@bailleur.test>
To: vie-cooperative@coop.example
Subject: Non remis : Information d'avancement
Message-ID: <ndr-fr-1@bailleur.test>
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Échec de remise à ces destinataires ou groupes :

{rcpt}
Impossible de trouver l'adresse de messagerie que vous avez entrée. Vérifiez l'adresse
de messagerie du destinataire et essayez de renvoyer le message.

Informations de diagnostic pour les administrateurs :

Serveur de génération : EX01.bailleur.test

{rcpt}
Le serveur distant a retourné '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'

En-têtes du message d'origine :

Message-ID: {mid}
"""

GMAIL = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: vie-cooperative@coop.example
Subject: Delivery Status Notification (Failure)
Message-ID: <gm-ndr-77@mx.google.com>
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to {rcpt} because the address couldn't be found, or is
unable to receive mail.

The response from the remote server was:
550 5.1.1 The email account that you tried to reach does not exist.
"""

# -- not failures: nothing may be marked ---------------------------------------------

AUTO_REPLY_FR = """\
From: {rcpt}
To: vie-cooperative@coop.example
Subject: Réponse automatique : Information d'avancement
Auto-Submitted: auto-replied
Message-ID: <ooo-1@exemple.test>
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Bonjour, je suis absente jusqu'au 12 mars. Votre message n'a pas été lu ; il sera traité
à mon retour. Pour toute urgence : accueil@exemple.test.
"""

# An Exchange out-of-office, sent by the server in the member's name: no Auto-Submitted,
# and it says "could not be delivered" to confuse a careless reader.
OUT_OF_OFFICE = """\
From: postmaster@exemple.test
To: vie-cooperative@coop.example
Subject: Automatic reply: Information d'avancement
X-Auto-Response-Suppress: All
Message-ID: <ooo-2@exemple.test>

I am out of the office until Monday. Urgent messages could not be delivered to
<{rcpt}>: please call the front desk.
"""

# An auto-reply from a mail system address, flagged only by its header.
AUTO_REPLIED_DAEMON = """\
Return-Path: <>
From: MAILER-DAEMON@exemple.test
To: vie-cooperative@coop.example
Subject: Mail delivery failed: returning message to sender
Auto-Submitted: auto-replied (vacation)
X-Autoreply: yes
Message-ID: <ooo-3@exemple.test>

Message d'absence.
<{rcpt}>: 550 5.1.1 en congés
"""

POSTFIX_DELAYED = """\
From: MAILER-DAEMON@mx.coop.example (Mail Delivery System)
To: vie-cooperative@coop.example
Subject: Delayed Mail (still being retried)
Message-ID: <delay-1@mx.coop.example>

This is the mail system at host mx.coop.example.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

<{rcpt}>: connect to mx.exemple.test[192.0.2.10]:25: Connection timed out

------ This is a copy of the message, including all the headers. ------

Message-ID: {mid}
"""

MEMBER_REPLY = """\
From: {rcpt}
To: vie-cooperative@coop.example
Subject: Re: Information d'avancement
Message-ID: <reply-1@exemple.test>

Bonjour, votre précédent courrier était "undeliverable" chez mon ancien fournisseur :
<{rcpt}>: merci d'utiliser désormais cette adresse.
"""
