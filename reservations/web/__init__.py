"""The customer portal's reservation pages: booking from quotes, the lifecycle actions, capacity and quota."""
