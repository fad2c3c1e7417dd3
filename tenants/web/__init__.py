"""The customer portal's pages for onboarding and teams: forms and views over the tenancy services."""
