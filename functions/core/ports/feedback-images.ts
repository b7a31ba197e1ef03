/** Where labelled wafer images are kept for training (S3, beside the inspections, under feedback/). */
export interface FeedbackImages {
  /** Keep the inspection's stored image (at `imageKey`) under `feedbackKey`; the same call twice keeps one copy. */
  keep(imageKey: string, feedbackKey: string): Promise<void>;
  /** Let a kept copy go (the label changed); nothing happens when there is none. */
  forget(feedbackKey: string): Promise<void>;
}
