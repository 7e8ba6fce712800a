"""Strong identification: the OpenID Connect relying party, identity claims and customer profiles."""
