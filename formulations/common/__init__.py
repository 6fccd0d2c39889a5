"""Encodings shared by several families (FIFO deadlines) and the one exact-method ending."""
