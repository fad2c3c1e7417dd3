"""Contains all the data models used in inputs/outputs"""

from .account_membership import AccountMembership
from .actor_type_enum import ActorTypeEnum
from .allocation import Allocation
from .allowed_cidr import AllowedCidr
from .allowed_cidr_create_request import AllowedCidrCreateRequest
from .alternative import Alternative
from .api_key import ApiKey
from .api_key_create_request import ApiKeyCreateRequest
from .api_key_created import ApiKeyCreated
from .approval_queue import ApprovalQueue
from .audit_event import AuditEvent
from .availability import Availability
from .billing_profile import BillingProfile
from .billing_profile_input_request import BillingProfileInputRequest
from .budget_alert_data import BudgetAlertData
from .budget_threshold_event import BudgetThresholdEvent
from .budget_threshold_event_type import BudgetThresholdEventType
from .calendar_row import CalendarRow
from .capacity_list_kind import CapacityListKind
from .capacity_list_step import CapacityListStep
from .catalog_flavors_list_deployment import CatalogFlavorsListDeployment
from .catalog_item import CatalogItem
from .catalog_item_detail import CatalogItemDetail
from .catalog_item_kind_enum import CatalogItemKindEnum
from .catalog_items_list_kind import CatalogItemsListKind
from .catalog_items_list_license import CatalogItemsListLicense
from .catalog_items_list_use_case import CatalogItemsListUseCase
from .cloud_profile import CloudProfile
from .cloud_profile_update_request import CloudProfileUpdateRequest
from .commitment_enum import CommitmentEnum
from .commitment_prices import CommitmentPrices
from .compatible_flavor import CompatibleFlavor
from .compute_price import ComputePrice
from .consent_accept_request import ConsentAcceptRequest
from .consent_status import ConsentStatus
from .console_log import ConsoleLog
from .deployment_enum import DeploymentEnum
from .e_invoice_format_enum import EInvoiceFormatEnum
from .email_domain import EmailDomain
from .email_domain_input_request import EmailDomainInputRequest
from .email_domain_status_enum import EmailDomainStatusEnum
from .erase_request import EraseRequest
from .error import Error
from .error_fields import ErrorFields
from .event_types_enum import EventTypesEnum
from .extend_request import ExtendRequest
from .flavor import Flavor
from .gpu_model import GpuModel
from .group_role_mapping import GroupRoleMapping
from .group_role_mapping_input_request import GroupRoleMappingInputRequest
from .identity_provider import IdentityProvider
from .identity_provider_input_request import IdentityProviderInputRequest
from .incompatibility import Incompatibility
from .incompatible_flavor import IncompatibleFlavor
from .instance import Instance
from .instance_data import InstanceData
from .instance_event import InstanceEvent
from .instance_event_type import InstanceEventType
from .instance_name import InstanceName
from .instance_transition import InstanceTransition
from .invitation import Invitation
from .invitation_create_request import InvitationCreateRequest
from .invitation_status_enum import InvitationStatusEnum
from .invitation_token_request import InvitationTokenRequest
from .invoice import Invoice
from .invoice_detail import InvoiceDetail
from .invoice_event import InvoiceEvent
from .invoice_event_type import InvoiceEventType
from .invoice_line import InvoiceLine
from .language_enum import LanguageEnum
from .latest_version import LatestVersion
from .legal_document import LegalDocument
from .legal_document_kind_enum import LegalDocumentKindEnum
from .license_enum import LicenseEnum
from .license_price import LicensePrice
from .me import Me
from .membership import Membership
from .meter_enum import MeterEnum
from .node_type_summary import NodeTypeSummary
from .ops_organizations_list_status import OpsOrganizationsListStatus
from .organization import Organization
from .organization_data import OrganizationData
from .organization_data_status import OrganizationDataStatus
from .organization_event import OrganizationEvent
from .organization_event_type import OrganizationEventType
from .organization_status_enum import OrganizationStatusEnum
from .organizations_availability_retrieve_kind import OrganizationsAvailabilityRetrieveKind
from .organizations_export_retrieve_response_200 import OrganizationsExportRetrieveResponse200
from .organizations_reservations_list_kind import OrganizationsReservationsListKind
from .organizations_reservations_list_state import OrganizationsReservationsListState
from .organizations_usage_list_meter import OrganizationsUsageListMeter
from .paginated_allowed_cidr_list import PaginatedAllowedCidrList
from .paginated_api_key_list import PaginatedApiKeyList
from .paginated_approval_queue_list import PaginatedApprovalQueueList
from .paginated_audit_event_list import PaginatedAuditEventList
from .paginated_catalog_item_list import PaginatedCatalogItemList
from .paginated_email_domain_list import PaginatedEmailDomainList
from .paginated_flavor_list import PaginatedFlavorList
from .paginated_group_role_mapping_list import PaginatedGroupRoleMappingList
from .paginated_invitation_list import PaginatedInvitationList
from .paginated_invoice_list import PaginatedInvoiceList
from .paginated_membership_list import PaginatedMembershipList
from .paginated_organization_list import PaginatedOrganizationList
from .paginated_price_list_summary_list import PaginatedPriceListSummaryList
from .paginated_quote_list import PaginatedQuoteList
from .paginated_region_list import PaginatedRegionList
from .paginated_reservation_list import PaginatedReservationList
from .paginated_scim_token_list import PaginatedScimTokenList
from .paginated_ssh_key_list import PaginatedSshKeyList
from .paginated_usage_record_list import PaginatedUsageRecordList
from .paginated_version_list import PaginatedVersionList
from .paginated_webhook_delivery_list import PaginatedWebhookDeliveryList
from .paginated_webhook_endpoint_list import PaginatedWebhookEndpointList
from .paginated_zone_list import PaginatedZoneList
from .patched_instance_rename_request import PatchedInstanceRenameRequest
from .patched_role_request import PatchedRoleRequest
from .patched_webhook_endpoint_update_request import PatchedWebhookEndpointUpdateRequest
from .price_list_detail import PriceListDetail
from .price_list_summary import PriceListSummary
from .protocol_enum import ProtocolEnum
from .quota_request_create_request import QuotaRequestCreateRequest
from .quota_request_data import QuotaRequestData
from .quota_request_data_status import QuotaRequestDataStatus
from .quota_request_event import QuotaRequestEvent
from .quota_request_event_type import QuotaRequestEventType
from .quote import Quote
from .quote_create_request import QuoteCreateRequest
from .quote_line import QuoteLine
from .quote_line_kind_enum import QuoteLineKindEnum
from .quote_status_enum import QuoteStatusEnum
from .quote_vat import QuoteVat
from .reboot_request import RebootRequest
from .region import Region
from .reject_request import RejectRequest
from .requirements import Requirements
from .reservation import Reservation
from .reservation_access import ReservationAccess
from .reservation_access_ssh_keys_item import ReservationAccessSshKeysItem
from .reservation_create_request import ReservationCreateRequest
from .reservation_event import ReservationEvent
from .reservation_event_type import ReservationEventType
from .reservation_kind_enum import ReservationKindEnum
from .result_enum import ResultEnum
from .role_enum import RoleEnum
from .rule_enum import RuleEnum
from .scim_token import ScimToken
from .scim_token_created import ScimTokenCreated
from .scopes_enum import ScopesEnum
from .service_token import ServiceToken
from .sign_in_policy import SignInPolicy
from .sign_in_policy_input_request import SignInPolicyInputRequest
from .signup_request import SignupRequest
from .signup_result import SignupResult
from .ssh_key import SshKey
from .ssh_key_create_request import SshKeyCreateRequest
from .state_enum import StateEnum
from .test_data import TestData
from .test_event import TestEvent
from .test_event_type import TestEventType
from .usage_record import UsageRecord
from .vat_category_enum import VatCategoryEnum
from .vat_check import VatCheck
from .version import Version
from .version_detail import VersionDetail
from .webhook_attempt import WebhookAttempt
from .webhook_delivery import WebhookDelivery
from .webhook_delivery_detail import WebhookDeliveryDetail
from .webhook_delivery_status_enum import WebhookDeliveryStatusEnum
from .webhook_endpoint import WebhookEndpoint
from .webhook_endpoint_create_request import WebhookEndpointCreateRequest
from .webhook_endpoint_created import WebhookEndpointCreated
from .webhook_endpoint_status_enum import WebhookEndpointStatusEnum
from .zone import Zone
from .zone_summary import ZoneSummary

__all__ = (
    "AccountMembership",
    "ActorTypeEnum",
    "Allocation",
    "AllowedCidr",
    "AllowedCidrCreateRequest",
    "Alternative",
    "ApiKey",
    "ApiKeyCreated",
    "ApiKeyCreateRequest",
    "ApprovalQueue",
    "AuditEvent",
    "Availability",
    "BillingProfile",
    "BillingProfileInputRequest",
    "BudgetAlertData",
    "BudgetThresholdEvent",
    "BudgetThresholdEventType",
    "CalendarRow",
    "CapacityListKind",
    "CapacityListStep",
    "CatalogFlavorsListDeployment",
    "CatalogItem",
    "CatalogItemDetail",
    "CatalogItemKindEnum",
    "CatalogItemsListKind",
    "CatalogItemsListLicense",
    "CatalogItemsListUseCase",
    "CloudProfile",
    "CloudProfileUpdateRequest",
    "CommitmentEnum",
    "CommitmentPrices",
    "CompatibleFlavor",
    "ComputePrice",
    "ConsentAcceptRequest",
    "ConsentStatus",
    "ConsoleLog",
    "DeploymentEnum",
    "EInvoiceFormatEnum",
    "EmailDomain",
    "EmailDomainInputRequest",
    "EmailDomainStatusEnum",
    "EraseRequest",
    "Error",
    "ErrorFields",
    "EventTypesEnum",
    "ExtendRequest",
    "Flavor",
    "GpuModel",
    "GroupRoleMapping",
    "GroupRoleMappingInputRequest",
    "IdentityProvider",
    "IdentityProviderInputRequest",
    "Incompatibility",
    "IncompatibleFlavor",
    "Instance",
    "InstanceData",
    "InstanceEvent",
    "InstanceEventType",
    "InstanceName",
    "InstanceTransition",
    "Invitation",
    "InvitationCreateRequest",
    "InvitationStatusEnum",
    "InvitationTokenRequest",
    "Invoice",
    "InvoiceDetail",
    "InvoiceEvent",
    "InvoiceEventType",
    "InvoiceLine",
    "LanguageEnum",
    "LatestVersion",
    "LegalDocument",
    "LegalDocumentKindEnum",
    "LicenseEnum",
    "LicensePrice",
    "Me",
    "Membership",
    "MeterEnum",
    "NodeTypeSummary",
    "OpsOrganizationsListStatus",
    "Organization",
    "OrganizationData",
    "OrganizationDataStatus",
    "OrganizationEvent",
    "OrganizationEventType",
    "OrganizationsAvailabilityRetrieveKind",
    "OrganizationsExportRetrieveResponse200",
    "OrganizationsReservationsListKind",
    "OrganizationsReservationsListState",
    "OrganizationStatusEnum",
    "OrganizationsUsageListMeter",
    "PaginatedAllowedCidrList",
    "PaginatedApiKeyList",
    "PaginatedApprovalQueueList",
    "PaginatedAuditEventList",
    "PaginatedCatalogItemList",
    "PaginatedEmailDomainList",
    "PaginatedFlavorList",
    "PaginatedGroupRoleMappingList",
    "PaginatedInvitationList",
    "PaginatedInvoiceList",
    "PaginatedMembershipList",
    "PaginatedOrganizationList",
    "PaginatedPriceListSummaryList",
    "PaginatedQuoteList",
    "PaginatedRegionList",
    "PaginatedReservationList",
    "PaginatedScimTokenList",
    "PaginatedSshKeyList",
    "PaginatedUsageRecordList",
    "PaginatedVersionList",
    "PaginatedWebhookDeliveryList",
    "PaginatedWebhookEndpointList",
    "PaginatedZoneList",
    "PatchedInstanceRenameRequest",
    "PatchedRoleRequest",
    "PatchedWebhookEndpointUpdateRequest",
    "PriceListDetail",
    "PriceListSummary",
    "ProtocolEnum",
    "QuotaRequestCreateRequest",
    "QuotaRequestData",
    "QuotaRequestDataStatus",
    "QuotaRequestEvent",
    "QuotaRequestEventType",
    "Quote",
    "QuoteCreateRequest",
    "QuoteLine",
    "QuoteLineKindEnum",
    "QuoteStatusEnum",
    "QuoteVat",
    "RebootRequest",
    "Region",
    "RejectRequest",
    "Requirements",
    "Reservation",
    "ReservationAccess",
    "ReservationAccessSshKeysItem",
    "ReservationCreateRequest",
    "ReservationEvent",
    "ReservationEventType",
    "ReservationKindEnum",
    "ResultEnum",
    "RoleEnum",
    "RuleEnum",
    "ScimToken",
    "ScimTokenCreated",
    "ScopesEnum",
    "ServiceToken",
    "SignInPolicy",
    "SignInPolicyInputRequest",
    "SignupRequest",
    "SignupResult",
    "SshKey",
    "SshKeyCreateRequest",
    "StateEnum",
    "TestData",
    "TestEvent",
    "TestEventType",
    "UsageRecord",
    "VatCategoryEnum",
    "VatCheck",
    "Version",
    "VersionDetail",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookDeliveryDetail",
    "WebhookDeliveryStatusEnum",
    "WebhookEndpoint",
    "WebhookEndpointCreated",
    "WebhookEndpointCreateRequest",
    "WebhookEndpointStatusEnum",
    "Zone",
    "ZoneSummary",
)
