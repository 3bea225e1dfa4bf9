"""Printing: badge sheets, layouts, fitting, QR codes, PDFs, render workers and the poster."""
