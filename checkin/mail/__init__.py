"""Mail: transport, messages, outboxes, signed links, subscriptions and sent mail."""
