"""Events, their guests and tickets, and the organizer's exports."""
