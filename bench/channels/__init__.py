"""Helpers of ``bench.channel_overhead``: provider stand-ins and channel clients."""
