import { wireContactEvents } from '../wiring/contact-events';

/** Invoked by the EventBridge rule on Amazon Connect contact events: records each ladder call's outcome. */
export const handler = wireContactEvents();
