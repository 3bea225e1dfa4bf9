"""The room: cards, profiles, suggestions, the room list and the attendee's pages."""
