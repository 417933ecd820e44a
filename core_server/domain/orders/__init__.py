"""Orders: the state machine, creation, payment and delivery, refunds, and reactions to fulfillment outcomes."""
