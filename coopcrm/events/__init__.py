"""Events and the general assembly: invitations, RSVP, proxies, check-in, quorum."""
