"""The collector's desk and the team lead's pages: HTML over the queue, payments and compliance."""
