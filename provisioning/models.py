"""The simulated cloud region: persistent, so that it behaves like a real one across restarts."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from provisioning.service_endpoint import certificate_issuer
from tenants.scoping import TenantOwnedModel


class SimulatedProject(models.Model):
    """A project in the simulated region. Invariant: one project per organization (the tag it is found by)."""

    project_id = models.CharField(_("project ID"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    organization_tag = models.CharField(_("organization tag"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("simulated project")
        verbose_name_plural = _("simulated projects")

    def __str__(self) -> str:
        return f"{self.name} ({self.project_id})"


class SimulatedServer(models.Model):
    """A server in the simulated region. Its status follows from time, like a real cloud's: BUILD until
    ``ready_at``, then ACTIVE; ERROR when the simulated boot failed; DELETED once deleted.

    Invariant: at most one server that is not deleted per tag (``kontor-instance-<id>``).
    """

    server_id = models.CharField(max_length=64, unique=True)
    project_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    tag = models.CharField(max_length=64)
    flavor = models.CharField(max_length=64)
    address = models.CharField(max_length=45)
    metadata = models.JSONField(default=dict, blank=True)
    failed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("simulated server")
        verbose_name_plural = _("simulated servers")
        constraints = [
            models.UniqueConstraint(
                fields=["tag"], condition=models.Q(deleted_at__isnull=True), name="provisioning_simserver_one_per_tag"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.server_id})"


class InstanceState(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    BUILDING = "building", _("Starting")
    RUNNING = "running", _("Running")
    STOPPING = "stopping", _("Stopping")
    STOPPED = "stopped", _("Stopped")
    FAILED = "failed", _("Failed")


class Instance(TenantOwnedModel):
    """One server of a reservation in the cloud.

    Invariants: one row per (reservation, index); ``name`` is a host name label (``<reservation>-<n>`` until the
    customer renames it, see ``instance_rename``), unique within the reservation; ``cloud_server_id`` names the
    server once created; ``started_at`` is when the server became ACTIVE and ``stopped_at`` when it was gone — the
    facts metering bills from, written once each. Changes only through ``provisioning.services``; ``state`` only
    through ``instance_transition`` (compare-and-set on the state, so a stale delivery of a task cannot move it
    back), which also writes its ``InstanceTransition``.
    """

    organization = models.ForeignKey(
        "tenants.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    reservation = models.ForeignKey(
        "reservations.Reservation", verbose_name=_("reservation"), on_delete=models.PROTECT, related_name="instances"
    )
    index = models.PositiveSmallIntegerField(_("instance"))
    name = models.CharField(_("name"), max_length=63)
    state = models.CharField(_("state"), max_length=16, choices=InstanceState.choices, default=InstanceState.PENDING)
    cloud_server_id = models.CharField(_("cloud server ID"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=45, blank=True)
    ssh_user = models.CharField(_("SSH user"), max_length=32, default="ubuntu")
    service_url = models.CharField(_("service URL"), max_length=200, blank=True)
    status_polls = models.PositiveSmallIntegerField(
        _("status polls"), default=0, help_text=_("How often provisioning asked the cloud for the server's status.")
    )
    last_error = models.TextField(_("last error"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last change"), auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("instance")
        verbose_name_plural = _("instances")
        ordering = ["reservation_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["reservation", "index"], name="provisioning_instance_unique"),
            models.UniqueConstraint(fields=["reservation", "name"], name="provisioning_instance_name_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=InstanceState.values), name="provisioning_instance_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(stopped_at__isnull=True)
                | models.Q(started_at__isnull=True)
                | models.Q(stopped_at__gte=models.F("started_at")),
                name="provisioning_instance_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reservation} #{self.index}"

    @property
    def tag(self) -> str:
        return f"kontor-instance-{self.pk}"


def default_instance_name(*, reservation_id: int, index: int) -> str:
    """``<reservation>-<n>``, counting instances from 1 as the portal shows them."""
    return f"{reservation_id}-{index + 1}"


class InstanceTransition(TenantOwnedModel):
    """One move of an instance's state: the history the reservation page and the API show.

    Invariants: append-only; written by ``provisioning.services.instance_transition`` in the same transaction as the
    compare-and-set UPDATE that made the move (a move that lost the race writes none), next to the audit row that
    says who made it. Its own table rather than a read of the audit log: indexed by instance, typed states, and
    cheap enough for a page that refreshes itself every few seconds.
    """

    organization = models.ForeignKey("tenants.Organization", on_delete=models.CASCADE, related_name="+")
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(_("from"), max_length=16, choices=InstanceState.choices)
    to_state = models.CharField(_("to"), max_length=16, choices=InstanceState.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("instance state change")
        verbose_name_plural = _("instance state changes")
        ordering = ["instance_id", "occurred_at", "id"]
        indexes = [models.Index(fields=["instance", "occurred_at"], name="provisioning_transition_time")]

    def __str__(self) -> str:
        return f"{self.instance_id}: {self.from_state} → {self.to_state}"


class DriftKind(models.TextChoices):
    ORPHAN_SERVER = "orphan_server", _("Server without a live reservation")
    MISSING_SERVER = "missing_server", _("Running instance whose server is gone")
    LEAKED_FLOATING_IP = "leaked_floating_ip", _("Floating IP without a live instance")


class DriftFinding(models.Model):
    """What reconciliation found different between the cloud and the reservations, and what it did about it.

    Invariant: one open finding per (kind, server); ``repaired`` is set when the repair was safe and done.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=DriftKind.choices)
    server_id = models.CharField(_("server"), max_length=64)
    instance = models.ForeignKey(
        Instance, verbose_name=_("instance"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(_("detail"))
    repaired = models.BooleanField(_("repaired"), default=False)
    detected_at = models.DateTimeField(_("detected"), auto_now_add=True)

    class Meta:
        verbose_name = _("drift finding")
        verbose_name_plural = _("drift findings")
        constraints = [
            models.UniqueConstraint(fields=["kind", "server_id"], name="provisioning_drift_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.server_id}"


class CloudProfile(TenantOwnedModel):
    """What an organization's servers need from it: the NGC API key that pulls NVIDIA containers and that NIM
    containers receive as ``NGC_API_KEY``. (SSH keys are ``tenants.SshKey``; allowed networks ``AllowedCidr``.)

    Invariants: one per organization; the NGC API key is stored only encrypted (``core.secrets``, Fernet) and
    is never logged or returned by the API — only its last four characters are kept in the clear, to recognize it.
    """

    organization = models.OneToOneField("tenants.Organization", on_delete=models.CASCADE, related_name="cloud_profile")
    ngc_api_key_encrypted = models.TextField(blank=True)
    ngc_api_key_last4 = models.CharField(_("NGC API key ends in"), max_length=4, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("cloud profile")
        verbose_name_plural = _("cloud profiles")

    def __str__(self) -> str:
        return f"{self.organization}"

    @property
    def has_ngc_api_key(self) -> bool:
        return bool(self.ngc_api_key_encrypted)


class AllowedCidr(TenantOwnedModel):
    """A network (IPv4 CIDR) allowed to reach the organization's servers: SSH and the service port, through the
    security group of each reservation that asks for a public address.

    Invariants: stored in canonical form (``ipaddress``: host bits cleared); at most once per organization; a
    network broader than ``/16`` (``0.0.0.0/0`` is the whole internet) is stored only with ``broad_confirmed``; private,
    loopback, link-local and reserved ranges are never stored (they can never reach a public address). Written only
    through ``provisioning.network``.
    """

    organization = models.ForeignKey("tenants.Organization", on_delete=models.CASCADE, related_name="+")
    cidr = models.CharField(_("network"), max_length=18)
    description = models.CharField(_("description"), max_length=100, blank=True)
    broad_confirmed = models.BooleanField(_("broad network confirmed"), default=False)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("allowed network")
        verbose_name_plural = _("allowed networks")
        ordering = ["cidr"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "cidr"], name="provisioning_allowedcidr_once"),
        ]

    def __str__(self) -> str:
        return self.cidr


class ReservationAccess(TenantOwnedModel):
    """How the customer reaches a reservation's servers, chosen at order time.

    Invariants: one per reservation, written once when it is booked; ``ssh_keys`` is a snapshot of the chosen keys
    (name, fingerprint, public key), so removing a key later does not change what the servers got; with
    ``public_address`` each instance gets a floating IP, reachable only from the organization's allowed networks.
    """

    organization = models.ForeignKey("tenants.Organization", on_delete=models.CASCADE, related_name="+")
    reservation = models.OneToOneField("reservations.Reservation", on_delete=models.CASCADE, related_name="access")
    public_address = models.BooleanField(_("public address"), default=False)
    ssh_keys = models.JSONField(_("SSH keys"), default=list, blank=True)
    # The secured service endpoint (NIM, Triton): the bearer token and the TLS key encrypted, the certificate in clear.
    service_token_encrypted = models.TextField(blank=True)
    tls_certificate = models.TextField(_("TLS certificate"), blank=True)
    tls_key_encrypted = models.TextField(blank=True)
    tls_fingerprint = models.CharField(_("TLS certificate fingerprint (SHA-256)"), max_length=100, blank=True)
    # Rotation: the key each server got to open a rotated token, and the token sealed with it as the servers read it
    # from their metadata (``provisioning.service_endpoint``); both empty until the first rotation / for older ones.
    rotation_key_encrypted = models.TextField(blank=True)
    service_token_sealed = models.CharField(max_length=255, blank=True)
    service_token_rotated_at = models.DateTimeField(_("service token rotated"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("reservation access")
        verbose_name_plural = _("reservation access")

    def __str__(self) -> str:
        return f"{self.reservation_id}"

    @property
    def fingerprints(self) -> list[str]:
        return [key["fingerprint"] for key in self.ssh_keys]

    @property
    def has_secured_endpoint(self) -> bool:
        return bool(self.service_token_encrypted)

    @property
    def tls_issuer(self) -> str:
        """Who issued the endpoint's certificate: the operator's CA's name, or empty when it is self-signed."""
        return certificate_issuer(self.tls_certificate) if self.tls_certificate else ""


class InstanceAddress(TenantOwnedModel):
    """An instance's public (floating) address and the SSH keys its server received.

    Invariants: one per instance; ``floating_ip_id`` names the cloud's floating IP while it is held and is emptied
    once it was released (on release of the instance, or by reconciliation).
    """

    organization = models.ForeignKey("tenants.Organization", on_delete=models.CASCADE, related_name="+")
    instance = models.OneToOneField(Instance, on_delete=models.CASCADE, related_name="network")
    public_address = models.CharField(_("public address"), max_length=45, blank=True)
    floating_ip_id = models.CharField(_("floating IP"), max_length=64, blank=True)
    ssh_fingerprints = models.JSONField(_("SSH key fingerprints"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("instance address")
        verbose_name_plural = _("instance addresses")

    def __str__(self) -> str:
        return self.public_address or str(self.instance_id)
