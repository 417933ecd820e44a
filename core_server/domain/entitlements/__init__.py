"""What a user may use now (running plans, active service orders) and the renewal that keeps plans
running by buying them again through orders. Sits above orders and subscriptions: orders never
imports it."""
