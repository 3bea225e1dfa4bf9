"""What tests of several packages share: page text, the SMTP inbox, the worker, PDFs, digests."""
