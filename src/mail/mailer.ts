/** One message, always with a plain-text and an HTML part. */
export interface MailMessage {
  to: string
  subject: string
  text: string
  html: string
}

/** Where mail goes: SMTP in production, the sandbox outbox in dev. */
export interface MailTransport {
  send(message: MailMessage & { from: string }): Promise<void>
}

/**
 * Sends the app's mail, or says it cannot (production without SMTP_URL): callers then
 * show an invitation link to the admin or tell people to ask an admin.
 */
export class Mailer {
  constructor(
    private readonly transport: MailTransport | undefined,
    private readonly from: string,
  ) {}

  get canSend(): boolean {
    return this.transport !== undefined
  }

  /** True when the message was handed over; false when there is nowhere to send it. */
  async send(message: MailMessage): Promise<boolean> {
    if (!this.transport) return false
    await this.transport.send({ ...message, from: this.from })
    return true
  }
}
