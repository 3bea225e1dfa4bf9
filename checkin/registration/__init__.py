"""Self-registration: the public event page, the form, the emailed confirmation, places and
the waitlist. A registration becomes a guest only once its email address is confirmed."""
