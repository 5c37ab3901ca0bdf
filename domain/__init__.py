"""Pure domain rules of the unemployment-insurance claim: no I/O, no clock."""
