"""What tests of several packages share: page text and the htmx header, the SMTP inbox, the huey
worker, the live server, PDF and QR readers, digests."""
