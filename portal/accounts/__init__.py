"""People: sign-up (a tenant and its owner), login and logout, switching tenant, teammates and invitations."""
