"""Cases a moderator decides: disputes, recovery claims, chargebacks, watched deals."""
