"""Start the test identity provider: migrate its SQLite database, register Kontor as a client, create the people
(JSON in ``IDP_USERS``: username, email, password, first_name, last_name, groups) and serve on loopback until
killed. Prints ``ready`` once it accepts connections."""

from __future__ import annotations

import json
import os
import sys

import django


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.identity.idp.settings"
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer, get_internal_wsgi_application, run
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    Application.objects.create(
        name="Kontor",
        client_id=os.environ["IDP_CLIENT_ID"],
        client_secret=os.environ["IDP_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["IDP_REDIRECT_URIS"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    for person in json.loads(os.environ["IDP_USERS"]):
        user = User.objects.create_user(
            person["username"],
            person["email"],
            person["password"],
            first_name=person.get("first_name", ""),
            last_name=person.get("last_name", ""),
        )
        for name in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    port = int(sys.argv[1])
    print("ready", flush=True)
    run("127.0.0.1", port, get_internal_wsgi_application(), threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main()
