"""Cloud access: SSH keys move from the cloud profile to ``tenants.SshKey`` (shared by the organization), the NGC
API key keeps its last four characters, allowed networks, each reservation's access and each instance's address.

A profile's SSH key that ``tenants.ssh_keys`` would refuse today (too short, unsupported) is not carried over: it
could not be chosen at order time anyway, and the organization adds a new one in the portal.
"""

import django.db.models.deletion
from django.db import migrations, models


def profile_keys_to_ssh_keys(apps, schema_editor):
    from core.secrets import decrypt_secret
    from tenants.ssh_keys import SshKeyError, parse_ssh_public_key

    CloudProfile = apps.get_model("provisioning", "CloudProfile")
    SshKey = apps.get_model("tenants", "SshKey")
    for profile in CloudProfile._base_manager.all():
        if profile.ngc_api_key_encrypted:
            profile.ngc_api_key_last4 = decrypt_secret(profile.ngc_api_key_encrypted)[-4:]
            profile.save(update_fields=["ngc_api_key_last4"])
        if not profile.ssh_public_key:
            continue
        try:
            parsed = parse_ssh_public_key(profile.ssh_public_key)
        except SshKeyError:
            continue
        SshKey._base_manager.get_or_create(
            organization_id=profile.organization_id,
            fingerprint=parsed.fingerprint,
            defaults={
                "name": parsed.comment[:100] or "SSH key",
                "public_key": parsed.line,
                "key_type": parsed.key_type,
                "bits": parsed.bits,
            },
        )


class Migration(migrations.Migration):

    dependencies = [
        ('provisioning', '0003_cloud_profile'),
        ('reservations', '0003_reminders'),
        ('tenants', '0008_ssh_keys'),
    ]

    operations = [
        migrations.AddField(
            model_name='cloudprofile',
            name='ngc_api_key_last4',
            field=models.CharField(blank=True, max_length=4, verbose_name='NGC API key ends in'),
        ),
        migrations.RunPython(profile_keys_to_ssh_keys, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='cloudprofile',
            name='ssh_public_key',
        ),
        migrations.CreateModel(
            name='InstanceAddress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_address', models.CharField(blank=True, max_length=45, verbose_name='public address')),
                ('floating_ip_id', models.CharField(blank=True, max_length=64, verbose_name='floating IP')),
                ('ssh_fingerprints', models.JSONField(blank=True, default=list, verbose_name='SSH key fingerprints')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('instance', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='network', to='provisioning.instance')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.organization')),
            ],
            options={
                'verbose_name': 'instance address',
                'verbose_name_plural': 'instance addresses',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ReservationAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_address', models.BooleanField(default=False, verbose_name='public address')),
                ('ssh_keys', models.JSONField(blank=True, default=list, verbose_name='SSH keys')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.organization')),
                ('reservation', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='access', to='reservations.reservation')),
            ],
            options={
                'verbose_name': 'reservation access',
                'verbose_name_plural': 'reservation access',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='AllowedCidr',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('cidr', models.CharField(max_length=18, verbose_name='network')),
                ('description', models.CharField(blank=True, max_length=100, verbose_name='description')),
                ('broad_confirmed', models.BooleanField(default=False, verbose_name='broad network confirmed')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='added')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.organization')),
            ],
            options={
                'verbose_name': 'allowed network',
                'verbose_name_plural': 'allowed networks',
                'ordering': ['cidr'],
                'abstract': False,
                'constraints': [models.UniqueConstraint(fields=('organization', 'cidr'), name='provisioning_allowedcidr_once')],
            },
        ),
        migrations.AlterField(
            model_name='driftfinding',
            name='kind',
            field=models.CharField(choices=[('orphan_server', 'Server without a live reservation'), ('missing_server', 'Running instance whose server is gone'), ('leaked_floating_ip', 'Floating IP without a live instance')], max_length=32, verbose_name='kind'),
        ),
    ]
