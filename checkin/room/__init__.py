"""The room: cards, profiles, suggestions, the room list and the guest's pages."""
