"""Member links: tokens for survey/RSVP links, unsubscribe and preference pages."""
