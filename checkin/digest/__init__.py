"""The next-morning digest: content, schedule, preview, introductions and vCards."""
