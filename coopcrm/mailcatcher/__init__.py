"""`coopcrm mailcatcher`: a local SMTP server and web mailbox for development.

Every message the app sends in development lands in a maildir under
instance/mailcatcher/ (kept across restarts) and can be read in a browser,
HTML shown in a sandboxed frame. Loopback only: it is never a relay.
"""
