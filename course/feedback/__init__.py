"""The feedback a student is handed: hidden tests kept hidden, each cell described, one offline page."""
