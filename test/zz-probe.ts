import { LookupType } from 'sms77-client/dist/constants/byEndpoint/lookup/LookupType.js'
import { ContactsAction } from 'sms77-client/dist/constants/byEndpoint/contacts/ContactsAction.js'
import { HooksAction } from 'sms77-client/dist/constants/byEndpoint/hooks/HooksAction.js'
console.log(LookupType.Format, ContactsAction.Write, HooksAction.Subscribe, LookupType)
