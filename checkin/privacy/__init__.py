"""Personal data: consent on record, each guest's own data, deletion, and the event's retention."""
